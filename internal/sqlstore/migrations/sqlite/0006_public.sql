-- Resident reports without an account: a tracking code (stored as a hash)
-- lets the reporter follow and rate the case. SQLite dialect; keep in step
-- with postgres/0006_public.sql.
ALTER TABLE cases ADD COLUMN tracking_hash BLOB;
CREATE INDEX cases_tracking ON cases (number, tracking_hash);

-- Resident reports without an account: a tracking code (stored as a hash)
-- lets the reporter follow and rate the case. PostgreSQL dialect; keep in step
-- with sqlite/0006_public.sql.
ALTER TABLE cases ADD COLUMN tracking_hash BYTEA;
CREATE INDEX cases_tracking ON cases (number, tracking_hash);

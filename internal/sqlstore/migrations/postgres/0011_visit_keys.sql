-- A visit recorded offline is sent again until its answer arrives: the
-- visitor's idempotency key makes the retry find the first one.
-- PostgreSQL dialect; keep in step with sqlite/0011_visit_keys.sql.
ALTER TABLE visits ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX visits_idempotency ON visits (visitor_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

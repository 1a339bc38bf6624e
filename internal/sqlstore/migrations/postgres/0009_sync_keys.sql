-- API keys of systems that own part of a case's life (a city's 311 system
-- replayed, a 12345 hotline platform): their requests carry their own
-- timestamps, are accepted on receipt, and may report cases closed.
-- PostgreSQL dialect; keep in step with sqlite/0009_sync_keys.sql.
ALTER TABLE api_keys ADD COLUMN sync BOOLEAN NOT NULL DEFAULT FALSE;

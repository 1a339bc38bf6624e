-- Open311 GeoReport v2: the API keys of the clients that may post service
-- requests. SQLite dialect; keep in step with postgres/0003_open311.sql.
-- Only the SHA-256 hash of a key is stored; a revoked key stays on record.

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    key_hash   BLOB NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    revoked_at DATETIME
);
CREATE INDEX api_keys_name ON api_keys (name);

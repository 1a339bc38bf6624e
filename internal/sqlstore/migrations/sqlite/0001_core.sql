-- Core schema: territory, people and scope, registry. SQLite dialect; keep in
-- step with postgres/0001_core.sql.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL,
    parent_code TEXT,
    level       TEXT    NOT NULL,
    name_zh     TEXT    NOT NULL,
    name_en     TEXT    NOT NULL DEFAULT '',
    type        TEXT    NOT NULL DEFAULT 'comprehensive',
    households  INTEGER NOT NULL DEFAULT 0,
    population  INTEGER NOT NULL DEFAULT 0,
    boundary    TEXT,
    min_lon     REAL, min_lat REAL, max_lon REAL, max_lat REAL,
    version     INTEGER NOT NULL DEFAULT 1,
    valid_from  DATETIME NOT NULL,
    valid_to    DATETIME,
    UNIQUE (code, version)
);
-- One current version per code; the subtree of X is code >= X AND code < X||'~'.
CREATE UNIQUE INDEX units_current ON units (code) WHERE valid_to IS NULL;
CREATE INDEX units_parent ON units (parent_code, code) WHERE valid_to IS NULL;
CREATE INDEX units_level ON units (level, code) WHERE valid_to IS NULL;

CREATE TABLE departments (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name_zh   TEXT NOT NULL,
    name_en   TEXT NOT NULL DEFAULT '',
    unit_code TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    department_id INTEGER REFERENCES departments (id),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DATETIME NOT NULL
);

CREATE TABLE assignments (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    unit_code TEXT    NOT NULL,
    PRIMARY KEY (user_id, unit_code)
);
CREATE INDEX assignments_unit ON assignments (unit_code);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE buildings (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    unit_code TEXT NOT NULL,
    address   TEXT NOT NULL,
    name      TEXT NOT NULL DEFAULT '',
    use       TEXT NOT NULL DEFAULT 'residential',
    floors    INTEGER NOT NULL DEFAULT 0,
    lon       REAL,
    lat       REAL,
    crs       TEXT NOT NULL DEFAULT 'wgs84'
);
CREATE INDEX buildings_unit ON buildings (unit_code);

CREATE TABLE households (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER REFERENCES buildings (id),
    unit_code   TEXT    NOT NULL,
    room        TEXT    NOT NULL DEFAULT '',
    address     TEXT    NOT NULL,
    head_name   TEXT    NOT NULL DEFAULT '',
    members     INTEGER NOT NULL DEFAULT 0,
    rented      BOOLEAN NOT NULL DEFAULT FALSE,
    tags        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX households_unit ON households (unit_code);
CREATE INDEX households_building ON households (building_id);

-- ID numbers and phones are stored encrypted (id_enc, phone_enc), found by a
-- keyed hash (id_hash, phone_hash) and shown masked (id_masked, phone_masked).
CREATE TABLE persons (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER REFERENCES households (id),
    unit_code    TEXT NOT NULL,
    name         TEXT NOT NULL,
    id_enc       BLOB NOT NULL,
    id_hash      BLOB NOT NULL,
    id_masked    TEXT NOT NULL,
    sex          TEXT NOT NULL,
    birth_date   DATE NOT NULL,
    phone_enc    BLOB,
    phone_hash   BLOB,
    phone_masked TEXT NOT NULL DEFAULT '',
    ethnicity    TEXT NOT NULL DEFAULT '',
    residence    TEXT NOT NULL,
    relation     TEXT NOT NULL,
    tags         TEXT NOT NULL DEFAULT '',
    care_tier    TEXT NOT NULL,
    last_visit   DATETIME,
    next_visit   DATETIME
);
CREATE UNIQUE INDEX persons_id_hash ON persons (id_hash);
CREATE INDEX persons_phone_hash ON persons (phone_hash);
CREATE INDEX persons_unit ON persons (unit_code, id);
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_next_visit ON persons (next_visit, unit_code);

CREATE TABLE visits (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES persons (id),
    unit_code  TEXT NOT NULL,
    visitor_id INTEGER NOT NULL REFERENCES users (id),
    at         DATETIME NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visits_person ON visits (person_id, at);
CREATE INDEX visits_unit ON visits (unit_code, at);

-- Every reveal of a plain ID number or phone; rows are never changed.
CREATE TABLE pii_access_log (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    field     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        DATETIME NOT NULL
);
CREATE INDEX pii_access_log_person ON pii_access_log (person_id, at);
CREATE TRIGGER pii_access_log_no_update BEFORE UPDATE ON pii_access_log
BEGIN SELECT RAISE(ABORT, 'pii_access_log is append-only'); END;
CREATE TRIGGER pii_access_log_no_delete BEFORE DELETE ON pii_access_log
BEGIN SELECT RAISE(ABORT, 'pii_access_log is append-only'); END;

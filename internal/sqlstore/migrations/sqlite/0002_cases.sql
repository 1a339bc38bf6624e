-- The case loop: catalogue, routing, calendars, cases and their timeline.
-- SQLite dialect; keep in step with postgres/0002_cases.sql.

CREATE TABLE duty_items (
    code       TEXT PRIMARY KEY,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    grid_duty  BOOLEAN NOT NULL
);

-- A category's full definition is kept as JSON (spec); the columns are what
-- queries filter on.
CREATE TABLE categories (
    code    TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    spec    TEXT NOT NULL
);

-- Which department handles a category at a level within a unit subtree;
-- the most specific rule (longest unit code) wins.
CREATE TABLE routing_rules (
    id            INTEGER PRIMARY KEY,
    category      TEXT NOT NULL REFERENCES categories (code),
    level         TEXT NOT NULL DEFAULT '',
    unit_code     TEXT NOT NULL DEFAULT '',
    department_id INTEGER NOT NULL REFERENCES departments (id),
    UNIQUE (category, level, unit_code, department_id)
);

-- Public holidays and swapped working days; scope '' is the national
-- default, a county code overrides it for that county.
CREATE TABLE calendar_days (
    scope TEXT NOT NULL,
    day   TEXT NOT NULL,
    kind  TEXT NOT NULL,
    name  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (scope, day)
);

CREATE TABLE case_counters (
    county TEXT NOT NULL,
    day    TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (county, day)
);

CREATE TABLE cases (
    id                    INTEGER PRIMARY KEY,
    number                TEXT NOT NULL UNIQUE,
    status                TEXT NOT NULL,
    suspended_from        TEXT NOT NULL DEFAULT '',
    level                 TEXT NOT NULL,
    unit_id               INTEGER NOT NULL REFERENCES units (id),
    unit_code             TEXT NOT NULL,
    category              TEXT NOT NULL REFERENCES categories (code),
    kind                  TEXT NOT NULL,
    channel               TEXT NOT NULL,
    title                 TEXT NOT NULL DEFAULT '',
    description           TEXT NOT NULL,
    address               TEXT NOT NULL DEFAULT '',
    lon                   REAL,
    lat                   REAL,
    crs                   TEXT NOT NULL DEFAULT 'wgs84',
    reporter_id           INTEGER REFERENCES users (id),
    reporter_name         TEXT NOT NULL DEFAULT '',
    reporter_phone_enc    BLOB,
    reporter_phone_hash   BLOB,
    reporter_phone_masked TEXT NOT NULL DEFAULT '',
    department_id         INTEGER REFERENCES departments (id),
    urgent                BOOLEAN NOT NULL DEFAULT FALSE,
    extension_pending     BOOLEAN NOT NULL DEFAULT FALSE,
    reworks               INTEGER NOT NULL DEFAULT 0,
    wrong_dispatches      INTEGER NOT NULL DEFAULT 0,
    escalations           INTEGER NOT NULL DEFAULT 0,
    rating                INTEGER NOT NULL DEFAULT 0,
    merged_into           INTEGER REFERENCES cases (id),
    duplicate_of          INTEGER REFERENCES cases (id),
    reported_at           DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    closed_at             DATETIME,
    step_started_at       DATETIME NOT NULL,
    step_limit_s          INTEGER NOT NULL DEFAULT 0, -- working seconds allowed for the current step, extensions included
    step_used_s           INTEGER NOT NULL DEFAULT 0, -- working seconds used before a suspension stopped the clock
    due_at                DATETIME,
    light                 TEXT NOT NULL DEFAULT '',
    next_check_at         DATETIME,
    external_id           TEXT NOT NULL DEFAULT '',
    idempotency_key       TEXT,
    version               INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_unit_status ON cases (unit_code, status);
CREATE INDEX cases_status_reported ON cases (status, reported_at);
CREATE INDEX cases_department ON cases (department_id, status);
CREATE INDEX cases_category_reported ON cases (category, reported_at);
-- The scheduler's work list: cost grows with cases coming due, not with
-- cases open.
CREATE INDEX cases_next_check ON cases (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX cases_reporter ON cases (reporter_id);
CREATE INDEX cases_reporter_phone ON cases (reporter_phone_hash);
CREATE INDEX cases_external ON cases (channel, external_id);
CREATE UNIQUE INDEX cases_idempotency ON cases (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The timeline: every transition, written in the transaction that makes it.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    at          DATETIME NOT NULL,
    actor_id    INTEGER REFERENCES users (id),
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

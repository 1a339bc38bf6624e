-- Splits and merges of units: what was retired, what replaced it, which
-- descendants were given new codes, who did it and when. unit_change_codes
-- indexes every code a change touched, so that the history of a unit is
-- one index lookup whether it was a predecessor or a successor. SQLite
-- dialect; keep in step with postgres/0013_unit_changes.sql.
CREATE TABLE unit_changes (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,              -- split or merge
    from_codes  TEXT NOT NULL,              -- JSON array: the units retired
    to_codes    TEXT NOT NULL,              -- JSON array: the units that replaced them
    moves       TEXT NOT NULL DEFAULT '[]', -- JSON array of {from, to}: descendants recoded
    detail      TEXT NOT NULL DEFAULT '{}', -- JSON: coverage, cases and assignments moved
    actor_id    INTEGER REFERENCES users (id),
    actor       TEXT NOT NULL DEFAULT '',
    at          DATETIME NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE unit_change_codes (
    change_id INTEGER NOT NULL REFERENCES unit_changes (id),
    code      TEXT NOT NULL,
    role      TEXT NOT NULL, -- from, to, moved_from, moved_to
    PRIMARY KEY (code, change_id, role)
);

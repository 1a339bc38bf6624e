-- Notifications: the inbox, outbound webhooks and their outbox. SQLite
-- dialect; keep in step with postgres/0004_notify.sql.

-- An inbox entry is addressed to a user, a department or a unit (the people
-- whose scope holds it); reads are kept per user.
CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    number        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    message_zh    TEXT NOT NULL,
    message_en    TEXT NOT NULL,
    user_id       INTEGER REFERENCES users (id),
    department_id INTEGER REFERENCES departments (id),
    unit_code     TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX notifications_department ON notifications (department_id, id) WHERE department_id IS NOT NULL;
CREATE INDEX notifications_unit ON notifications (unit_code, id) WHERE unit_code <> '';

CREATE TABLE notification_reads (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    PRIMARY KEY (user_id, notification_id)
);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL DEFAULT '*', -- comma-separated timeline actions, or *
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME NOT NULL
);

-- Deliveries to make, written in the transaction of the change they report,
-- so that a change is never lost nor announced without having happened.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    next_attempt_at DATETIME,            -- NULL once delivered or dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    DATETIME,
    dead            BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

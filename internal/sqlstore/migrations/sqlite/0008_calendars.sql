-- Working calendars of counties (or any unit): a calendar.Spec as JSON. A
-- case runs on the calendar of the nearest unit above it that has one, else
-- on the national calendar. SQLite dialect; keep in step with
-- postgres/0008_calendars.sql.
CREATE TABLE calendars (
    unit_code  TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    updated_at DATETIME NOT NULL
);

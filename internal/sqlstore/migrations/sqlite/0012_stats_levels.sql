-- Statistics that answer for a province as fast as for a grid. SQLite
-- dialect; keep in step with postgres/0012_stats_levels.sql.
--
-- A change of a case appends its contribution's change to case_rollup_delta
-- in its own transaction (a plain insert). A folder (FoldStats) moves the
-- deltas, summed, into case_rollup (report day × unit × category ×
-- department, about one row per case at grid level) and case_stats (the
-- same sums at the levels above: everything, province, city, county and
-- street, by day, month and all time). A question sums the rows of the
-- level it is about plus the deltas not yet folded, in one statement, so
-- it is exact whenever it runs.

ALTER TABLE case_rollup ADD COLUMN n_red INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_rollup ADD COLUMN rating_sum INTEGER NOT NULL DEFAULT 0;
DROP INDEX case_rollup_day;

CREATE TABLE case_rollup_delta (
    id            INTEGER PRIMARY KEY,
    day           TEXT NOT NULL,
    unit_code     TEXT NOT NULL,
    category      TEXT NOT NULL,
    department_id INTEGER NOT NULL,
    n_reported    INTEGER NOT NULL,
    n_accepted    INTEGER NOT NULL,
    n_dispatched  INTEGER NOT NULL,
    n_in_progress INTEGER NOT NULL,
    n_handled     INTEGER NOT NULL,
    n_verified    INTEGER NOT NULL,
    n_closed      INTEGER NOT NULL,
    n_rated       INTEGER NOT NULL,
    n_rejected    INTEGER NOT NULL,
    n_merged      INTEGER NOT NULL,
    n_suspended   INTEGER NOT NULL,
    n_on_time     INTEGER NOT NULL,
    n_overdue     INTEGER NOT NULL,
    n_red         INTEGER NOT NULL,
    rating_sum    INTEGER NOT NULL
);

-- span: 'a' all time (bucket ''), 'm' month (bucket 2006-01), 'd' day
-- (bucket 2006-01-02), followed by the variant: 0 totals (category '',
-- department 0), 1 by category, 2 by category and department
-- (sqlstore/statsfold.go says which variant has which spans). depth is the
-- length of unit_code ('' = everything), early in the key so that "the
-- streets of this county" is one range.
CREATE TABLE case_stats (
    span          TEXT NOT NULL,
    depth         INTEGER NOT NULL,
    unit_code     TEXT NOT NULL,
    bucket        TEXT NOT NULL,
    category      TEXT NOT NULL,
    department_id INTEGER NOT NULL,
    n_reported    INTEGER NOT NULL DEFAULT 0,
    n_accepted    INTEGER NOT NULL DEFAULT 0,
    n_dispatched  INTEGER NOT NULL DEFAULT 0,
    n_in_progress INTEGER NOT NULL DEFAULT 0,
    n_handled     INTEGER NOT NULL DEFAULT 0,
    n_verified    INTEGER NOT NULL DEFAULT 0,
    n_closed      INTEGER NOT NULL DEFAULT 0,
    n_rated       INTEGER NOT NULL DEFAULT 0,
    n_rejected    INTEGER NOT NULL DEFAULT 0,
    n_merged      INTEGER NOT NULL DEFAULT 0,
    n_suspended   INTEGER NOT NULL DEFAULT 0,
    n_on_time     INTEGER NOT NULL DEFAULT 0,
    n_overdue     INTEGER NOT NULL DEFAULT 0,
    n_red         INTEGER NOT NULL DEFAULT 0,
    rating_sum    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (span, depth, unit_code, bucket, category, department_id)
) WITHOUT ROWID;

-- shape: the code lengths case_stats holds; rebuild: the rollups must be
-- recomputed from the cases (this migration added columns to them).
CREATE TABLE stats_meta (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);
INSERT INTO stats_meta (k, v) VALUES ('rebuild', 'cases');

-- The case list, newest first: the newest cases of a province without
-- sorting millions (a small scope's cases come by cases_unit_status), and
-- the open ones, the command centre's default list, without sorting the
-- hundreds of thousands open.
CREATE INDEX cases_reported ON cases (reported_at, id);
CREATE INDEX cases_open_reported ON cases (reported_at, id) WHERE status NOT IN ('closed', 'rated', 'rejected', 'merged');

-- Every index of cases is written by every report. These two serve no
-- question the two above do not (a status or category filter reads the
-- newest cases and skips the others), and the number's own unique index
-- finds a case to track; the phone's only indexes the cases that have one.
DROP INDEX cases_status_reported;
DROP INDEX cases_category_reported;
DROP INDEX cases_tracking;
DROP INDEX cases_reporter_phone;
CREATE INDEX cases_reporter_phone ON cases (reporter_phone_hash) WHERE reporter_phone_hash IS NOT NULL;

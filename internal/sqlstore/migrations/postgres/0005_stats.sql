-- Statistics of the case loop, maintained incrementally. PostgreSQL dialect;
-- keep in step with sqlite/0005_stats.sql.

ALTER TABLE cases ADD COLUMN overdue BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per report day, unit, category and current department; each case
-- counts once, in the column of its status (n_reported .. n_suspended),
-- plus n_on_time (closed, never overdue) and n_overdue (ever overdue).
CREATE TABLE case_rollup (
    day           TEXT COLLATE "C" NOT NULL,
    unit_code     TEXT COLLATE "C" NOT NULL,
    category      TEXT NOT NULL,
    department_id BIGINT NOT NULL DEFAULT 0,
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
    PRIMARY KEY (unit_code, day, category, department_id)
);
CREATE INDEX case_rollup_day ON case_rollup (day, unit_code);

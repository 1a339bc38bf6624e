-- PostgreSQL's planner needed extended statistics on case_stats (see
-- postgres/0016_stats_estimates.sql); SQLite reads the primary key's prefix
-- whatever it estimates. Nothing to do; the version keeps the two in step.
SELECT 1;

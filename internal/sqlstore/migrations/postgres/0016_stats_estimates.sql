-- The planner's estimate of a span and depth of case_stats: PostgreSQL takes
-- columns as independent and, after the all-time totals of the fine levels
-- were added (a million rows of span a0), guessed 260,000 rows for the 90
-- counties of a province and read the whole table in parallel (1.0 s
-- against 0.8 ms). Extended statistics teach it that depth and span go
-- together. PostgreSQL dialect; sqlite/0016_stats_estimates.sql is empty.
CREATE STATISTICS case_stats_span_depth (dependencies, mcv) ON span, depth FROM case_stats;
ANALYZE case_stats;

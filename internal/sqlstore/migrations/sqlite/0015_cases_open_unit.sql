-- The open cases of a unit's subtree, with their points: a map's view of a
-- county (unit=, bbox=, open) read them through the newest-first index of
-- every open case of the territory, 1.2 s at 10⁷ cases on PostgreSQL; with
-- the point in the index, 0.8 ms. SQLite dialect; keep in step with
-- postgres/0015_cases_open_unit.sql.
CREATE INDEX cases_open_unit ON cases (unit_code, lon, lat) WHERE status NOT IN ('closed', 'rated', 'rejected', 'merged');

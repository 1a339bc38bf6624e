-- Probable duplicates are open cases of the same category near a new one:
-- the lookup reads a narrow latitude band of the category's open cases
-- instead of every case of the category in the window.
-- PostgreSQL dialect; keep in step with sqlite/0010_duplicates.sql.
CREATE INDEX cases_open_near ON cases (category, lat) WHERE status NOT IN ('closed', 'rated', 'rejected', 'merged');

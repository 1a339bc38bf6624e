-- The units of a level whose box meets a map's view (GET /api/v1/boundaries
-- ?bbox=): the box is checked within the index, so that only the units in
-- view are read, boundaries and all. PostgreSQL dialect; keep in step with
-- sqlite/0014_units_bbox.sql.
CREATE INDEX units_bbox ON units (level, min_lon, max_lon, min_lat, max_lat) WHERE valid_to IS NULL;

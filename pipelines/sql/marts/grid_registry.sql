-- Grid registry: a small integer (grid_no) per grid code, given once and never changed, so
-- that the engine's member-level tables hold numbers, not strings. New codes are numbered in
-- code order after the highest number given so far.
CREATE TABLE IF NOT EXISTS grid_registry (grid_no INTEGER, grid_id VARCHAR);
INSERT INTO grid_registry
SELECT coalesce((SELECT max(grid_no) FROM grid_registry), 0) + row_number() OVER (ORDER BY grid_id), grid_id
FROM (SELECT grid_id FROM int_known_grids WHERE grid_id IS NOT NULL
      EXCEPT SELECT grid_id FROM grid_registry);

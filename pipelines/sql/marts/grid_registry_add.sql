-- Number the grids this batch makes known, in order after the highest number given so far.
-- The index engine groups, joins and stores member-level rows on these integers rather than
-- strings (several times cheaper).
INSERT INTO grid_registry
SELECT coalesce((SELECT max(grid_no) FROM grid_registry), 0) + row_number() OVER (ORDER BY grid_id), grid_id
FROM (SELECT grid_id FROM int_known_grids WHERE grid_id IS NOT NULL
      EXCEPT SELECT grid_id FROM grid_registry);

-- Grids a reference may name: those published plus the valid ones of this batch.
CREATE OR REPLACE TEMP TABLE int_known_grids AS
SELECT grid_id FROM grids
UNION SELECT grid_id FROM int_grids_checked WHERE _fail IS NULL;

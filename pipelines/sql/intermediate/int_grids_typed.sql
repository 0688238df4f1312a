-- The columns published in grids, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_grids_typed AS
SELECT grid_id, grid_name, community, street, district, households_n AS households, residents_n AS residents,
    grid_type, parent_grid_id, _file_id, _row, _retry, _fail
FROM int_grids_checked;

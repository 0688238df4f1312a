-- The columns published in grid_geometry, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_geometry_typed AS
SELECT grid_id, geometry, _file_id, _row, _retry, _fail FROM int_geometry_checked;

-- Grid registry: one row per grid (key grid_id).
CREATE TABLE IF NOT EXISTS grids (
    grid_id VARCHAR PRIMARY KEY, grid_name VARCHAR, community VARCHAR, street VARCHAR, district VARCHAR,
    households BIGINT, residents BIGINT, grid_type VARCHAR, parent_grid_id VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);
CREATE OR REPLACE TEMP VIEW int_grids_typed AS
SELECT grid_id, grid_name, community, street, district, households_n AS households, residents_n AS residents,
    grid_type, parent_grid_id, _file_id, _row, _retry, _fail
FROM int_grids_checked;

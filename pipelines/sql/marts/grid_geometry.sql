-- Grid boundaries as GeoJSON geometry text (key grid_id).
CREATE TABLE IF NOT EXISTS grid_geometry (
    grid_id VARCHAR PRIMARY KEY, geometry VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);
CREATE OR REPLACE TEMP VIEW int_geometry_typed AS
SELECT grid_id, geometry, _file_id, _row, _retry, _fail FROM int_geometry_checked;

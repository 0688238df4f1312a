-- Grid boundaries as GeoJSON geometry text (key grid_id).
CREATE TABLE IF NOT EXISTS grid_geometry (
    grid_id VARCHAR PRIMARY KEY, geometry VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

-- Grid registry: one row per grid (key grid_id).
CREATE TABLE IF NOT EXISTS grids (
    grid_id VARCHAR PRIMARY KEY, grid_name VARCHAR, community VARCHAR, street VARCHAR, district VARCHAR,
    households BIGINT, residents BIGINT, grid_type VARCHAR, parent_grid_id VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

-- Grid boundary features as the reader parsed them (pipelines/load/reading.py checks the shape).
CREATE OR REPLACE TEMP TABLE raw_geometry (
    _file_id INTEGER, _row INTEGER, grid_id VARCHAR, geometry VARCHAR, geom_type VARCHAR, geom_ok BOOLEAN);

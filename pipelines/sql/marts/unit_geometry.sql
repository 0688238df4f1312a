-- Map boundaries of every unit (key level, unit_id; unit ids as in unit_scores): grids as
-- loaded, communities, streets and districts as unions of their grids; simplified per level,
-- coordinates rounded to 5 decimals (GeoJSON geometry text), with bounds and an inner point.
-- Derived, so rebuilt whole at every publish by pipelines/load/geometry.py (the unions are
-- shapely's: DuckDB's spatial extension cannot be installed offline). Grids without a
-- boundary are absent, and so is a unit none of whose grids has one.
CREATE OR REPLACE TABLE unit_geometry (
    level VARCHAR, unit_id VARCHAR, grids INTEGER, geometry VARCHAR,
    min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE, center_lon DOUBLE, center_lat DOUBLE,
    PRIMARY KEY (level, unit_id));

-- Grid boundary features: a known grid and a valid WGS-84 polygon (rules: macros.sql).
CREATE OR REPLACE TEMP VIEW int_geometry_checked AS
SELECT s.*, coalesce(
    pbi_required(grid_id, 'grid_id'),
    pbi_rule(NOT geom_ok, 'invalid_geometry', 'geometry', geom_type),
    pbi_rule(grid_id NOT IN (SELECT grid_id FROM int_known_grids), 'unknown_grid', 'grid_id', grid_id)
) AS _fail
FROM stg_geometry s;

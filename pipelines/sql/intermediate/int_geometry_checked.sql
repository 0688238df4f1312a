-- Grid boundary features: a known grid and a valid WGS-84 polygon.
CREATE OR REPLACE TEMP VIEW int_geometry_checked AS
SELECT s.*,
    CASE
        WHEN grid_id IS NULL THEN pbi_fail('missing_required', 'grid_id', NULL)
        WHEN NOT geom_ok THEN pbi_fail('invalid_geometry', 'geometry', geom_type)
        WHEN grid_id NOT IN (SELECT grid_id FROM int_known_grids) THEN pbi_fail('unknown_grid', 'grid_id', grid_id)
    END AS _fail
FROM stg_geometry s;

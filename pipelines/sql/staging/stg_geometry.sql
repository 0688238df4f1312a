-- Grid boundary features (already parsed and checked for shape by the reader).
CREATE OR REPLACE TEMP TABLE stg_geometry AS
SELECT _file_id, _row, pbi_clean(grid_id) AS grid_id, geometry, geom_type, geom_ok,
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM raw_geometry;

-- Grid registry rows, cleaned text.
CREATE OR REPLACE TEMP TABLE stg_grids AS
SELECT _file_id, _row,
    pbi_clean(grid_id) AS grid_id, pbi_text(grid_name) AS grid_name, pbi_text(community) AS community,
    pbi_text(street) AS street, pbi_text(district) AS district, pbi_clean(households) AS households,
    pbi_clean(residents) AS residents, pbi_text(grid_type) AS grid_type, pbi_clean(parent_grid_id) AS parent_grid_id,
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM raw_grids;

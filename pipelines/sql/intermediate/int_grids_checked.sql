-- Grid rows against the contract: the first rule a row breaks (macros.sql), or NULL.
CREATE OR REPLACE TEMP VIEW int_grids_checked AS
SELECT s.*, pbi_int(households) AS households_n, pbi_int(residents) AS residents_n, coalesce(
    pbi_required(grid_id, 'grid_id'),
    pbi_required(grid_name, 'grid_name'),
    pbi_required(community, 'community'),
    pbi_required(street, 'street'),
    pbi_required(district, 'district'),
    pbi_required(households, 'households'),
    pbi_count('grids', households, pbi_int(households), 'households'),
    pbi_count('grids', residents, pbi_int(residents), 'residents')
) AS _fail
FROM stg_grids s;

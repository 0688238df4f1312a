-- Grid rows against the contract: the first rule a row breaks, or NULL.
CREATE OR REPLACE TEMP VIEW int_grids_checked AS
SELECT s.*, pbi_int(households) AS households_n, pbi_int(residents) AS residents_n,
    CASE
        WHEN grid_id IS NULL THEN pbi_fail('missing_required', 'grid_id', NULL)
        WHEN grid_name IS NULL THEN pbi_fail('missing_required', 'grid_name', NULL)
        WHEN community IS NULL THEN pbi_fail('missing_required', 'community', NULL)
        WHEN street IS NULL THEN pbi_fail('missing_required', 'street', NULL)
        WHEN district IS NULL THEN pbi_fail('missing_required', 'district', NULL)
        WHEN households IS NULL THEN pbi_fail('missing_required', 'households', NULL)
        WHEN coalesce(pbi_int(households), -1) < 0 THEN pbi_fail('invalid_number', 'households', households)
        WHEN residents IS NOT NULL AND coalesce(pbi_int(residents), -1) < 0
            THEN pbi_fail('invalid_number', 'residents', residents)
    END AS _fail
FROM stg_grids s;

-- Party organisations against the contract.
CREATE OR REPLACE TEMP VIEW int_orgs_checked AS
SELECT s.*,
    CASE
        WHEN org_id IS NULL THEN pbi_fail('missing_required', 'org_id', NULL)
        WHEN org_name IS NULL THEN pbi_fail('missing_required', 'org_name', NULL)
        WHEN org_type IS NULL THEN pbi_fail('missing_required', 'org_type', NULL)
        WHEN NOT pbi_code_ok('orgs', 'org_type', org_type) THEN pbi_fail('invalid_code', 'org_type', org_type)
        WHEN grid_id IS NULL AND org_type IN ('网格党支部', '楼栋党小组') THEN pbi_fail('grid_required', 'grid_id', NULL)
        WHEN grid_id IS NOT NULL AND grid_id NOT IN (SELECT grid_id FROM int_known_grids)
            THEN pbi_fail('unknown_grid', 'grid_id', grid_id)
    END AS _fail
FROM stg_orgs s;

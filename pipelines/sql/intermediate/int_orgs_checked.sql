-- Party organisations against the contract (rules: macros.sql; the first that fails).
CREATE OR REPLACE TEMP VIEW int_orgs_checked AS
SELECT s.*, coalesce(
    pbi_required(org_id, 'org_id'),
    pbi_required(org_name, 'org_name'),
    pbi_required_code('orgs', 'org_type', org_type),
    pbi_rule(grid_id IS NULL AND org_type IN ('网格党支部', '楼栋党小组'), 'grid_required', 'grid_id', NULL),
    pbi_rule(grid_id IS NOT NULL AND grid_id NOT IN (SELECT grid_id FROM int_known_grids), 'unknown_grid', 'grid_id',
        grid_id)
) AS _fail
FROM stg_orgs s;

-- Party organisations, cleaned text.
CREATE OR REPLACE TEMP TABLE stg_orgs AS
SELECT _file_id, _row,
    pbi_clean(org_id) AS org_id, pbi_text(org_name) AS org_name, pbi_clean(org_type) AS org_type,
    pbi_clean(parent_org_id) AS parent_org_id, pbi_clean(grid_id) AS grid_id,
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM raw_orgs;

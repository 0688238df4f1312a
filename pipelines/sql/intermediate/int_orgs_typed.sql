-- The columns published in orgs, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_orgs_typed AS
SELECT org_id, org_name, org_type, parent_org_id, grid_id, _file_id, _row, _retry, _fail FROM int_orgs_checked;

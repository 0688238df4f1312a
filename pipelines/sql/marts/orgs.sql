-- Party organisations (key org_id).
CREATE TABLE IF NOT EXISTS orgs (
    org_id VARCHAR PRIMARY KEY, org_name VARCHAR, org_type VARCHAR, parent_org_id VARCHAR, grid_id VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);
CREATE OR REPLACE TEMP VIEW int_orgs_typed AS
SELECT org_id, org_name, org_type, parent_org_id, grid_id, _file_id, _row, _retry, _fail FROM int_orgs_checked;

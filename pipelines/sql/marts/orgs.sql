-- Party organisations (key org_id).
CREATE TABLE IF NOT EXISTS orgs (
    org_id VARCHAR PRIMARY KEY, org_name VARCHAR, org_type VARCHAR, parent_org_id VARCHAR, grid_id VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

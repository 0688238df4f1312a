-- Roster snapshots: one row per member and snapshot date (key as_of, member_key).
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
-- member_key is the keyed hash of the ID number, member_no its number in member_registry
-- (grid_no: the grid's in grid_registry);
-- only masked ID and phone are kept.
CREATE TABLE IF NOT EXISTS members (
    as_of DATE, member_key VARCHAR, member_no INTEGER, id_masked VARCHAR, name VARCHAR, gender VARCHAR, ethnicity VARCHAR,
    birth_date DATE, education VARCHAR, member_category VARCHAR, join_date DATE, full_member_date DATE,
    branch VARCHAR, member_type VARCHAR, grid_id VARCHAR, grid_no INTEGER, employer VARCHAR, phone_masked VARCHAR, status VARCHAR,
    reporting_org_id VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

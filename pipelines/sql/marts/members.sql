-- Roster snapshots: one row per member and snapshot date (key as_of, member_key).
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
-- member_key is the keyed hash of the ID number, member_no its number in member_registry
-- (grid_no: the grid's in grid_registry);
-- only masked ID and phone are kept.
CREATE TABLE IF NOT EXISTS members (
    as_of DATE, member_key VARCHAR, member_no INTEGER, id_masked VARCHAR, name VARCHAR, gender VARCHAR, ethnicity VARCHAR,
    birth_date DATE, education VARCHAR, member_category VARCHAR, join_date DATE, full_member_date DATE,
    branch VARCHAR, member_type VARCHAR, grid_id VARCHAR, grid_no INTEGER, employer VARCHAR, phone_masked VARCHAR, status VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);
CREATE OR REPLACE TEMP VIEW int_members_typed AS
SELECT as_of_d AS as_of, id_number_key AS member_key, id_number_mask AS id_masked, name, gender, ethnicity,
    birth_date_d AS birth_date, education, member_category, join_date_d AS join_date,
    full_member_date_d AS full_member_date, branch, member_type, grid_id, employer, phone_mask AS phone_masked,
    status, _file_id, _row, _retry, _fail
FROM int_members_checked;

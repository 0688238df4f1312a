-- The columns published in members, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_members_typed AS
SELECT as_of_d AS as_of, id_number_key AS member_key, id_number_mask AS id_masked, name, gender, ethnicity,
    birth_date_d AS birth_date, education, member_category, join_date_d AS join_date,
    full_member_date_d AS full_member_date, branch, member_type, grid_id, employer, phone_mask AS phone_masked,
    status, reporting_org_id, _file_id, _row, _retry, _fail
FROM int_members_checked;

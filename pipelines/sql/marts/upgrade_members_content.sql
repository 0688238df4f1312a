-- The stored rosters' content hashes as int_outcome.sql computes them now: every column of
-- int_members_typed.sql, in its order (reporting_org_id, NULL here, last).
UPDATE members SET _content = hash(as_of, member_key, id_masked, name, gender, ethnicity, birth_date, education,
    member_category, join_date, full_member_date, branch, member_type, grid_id, employer, phone_masked, status,
    reporting_org_id);

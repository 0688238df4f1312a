-- Roster rows against the contract. Dates typed; join date not after the snapshot date.
CREATE OR REPLACE TEMP VIEW int_members_checked AS
WITH t AS (
    SELECT s.*, pbi_date(as_of) AS as_of_d, pbi_date(birth_date) AS birth_date_d, pbi_date(join_date) AS join_date_d,
        pbi_date(full_member_date) AS full_member_date_d
    FROM stg_members s
)
SELECT t.*,
    CASE
        WHEN name IS NULL THEN pbi_fail('missing_required', 'name', NULL)
        WHEN id_number_mask IS NULL THEN pbi_fail('missing_required', 'id_number', NULL)
        WHEN id_number_rule IS NOT NULL THEN pbi_fail(id_number_rule, 'id_number', id_number_mask)
        WHEN grid_id IS NULL THEN pbi_fail('missing_required', 'grid_id', NULL)
        WHEN grid_id NOT IN (SELECT grid_id FROM int_known_grids) THEN pbi_fail('unknown_grid', 'grid_id', grid_id)
        WHEN member_category IS NULL THEN pbi_fail('missing_required', 'member_category', NULL)
        WHEN NOT pbi_code_ok('members', 'member_category', member_category)
            THEN pbi_fail('invalid_code', 'member_category', member_category)
        WHEN member_type IS NULL THEN pbi_fail('missing_required', 'member_type', NULL)
        WHEN NOT pbi_code_ok('members', 'member_type', member_type)
            THEN pbi_fail('invalid_code', 'member_type', member_type)
        WHEN status IS NULL THEN pbi_fail('missing_required', 'status', NULL)
        WHEN NOT pbi_code_ok('members', 'status', status) THEN pbi_fail('invalid_code', 'status', status)
        WHEN gender IS NOT NULL AND NOT pbi_code_ok('members', 'gender', gender)
            THEN pbi_fail('invalid_code', 'gender', gender)
        WHEN as_of_d IS NULL THEN pbi_fail('invalid_date', 'as_of', as_of)
        WHEN birth_date IS NOT NULL AND birth_date_d IS NULL THEN pbi_fail('invalid_date', 'birth_date', birth_date)
        WHEN join_date IS NOT NULL AND join_date_d IS NULL THEN pbi_fail('invalid_date', 'join_date', join_date)
        WHEN join_date_d > as_of_d THEN pbi_fail('future_date', 'join_date', join_date)
        WHEN full_member_date IS NOT NULL AND full_member_date_d IS NULL
            THEN pbi_fail('invalid_date', 'full_member_date', full_member_date)
        WHEN full_member_date_d > as_of_d THEN pbi_fail('future_date', 'full_member_date', full_member_date)
        WHEN phone_rule IS NOT NULL THEN pbi_fail(phone_rule, 'phone', phone_mask)
    END AS _fail
FROM t;

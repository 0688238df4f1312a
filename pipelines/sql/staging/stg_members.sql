-- Roster rows. The ID number is replaced here by its keyed hash, masked form and the
-- verdict of the ID rules: no clear ID number leaves staging. Phones are kept masked.
CREATE OR REPLACE TEMP TABLE stg_members AS
WITH c AS (
    SELECT *, upper(pbi_clean(id_number)) AS id_clean, pbi_clean(phone) AS phone_clean FROM raw_members
)
SELECT _file_id, _row,
    pbi_clean(name) AS name,
    CASE WHEN pbi_id_format_ok(id_clean) THEN pbi_member_key(id_clean) END AS id_number_key,
    CASE WHEN pbi_id_mangled(id_clean) THEN id_clean WHEN pbi_id_format_ok(id_clean) THEN pbi_id_mask(id_clean)
         ELSE regexp_replace(id_clean, '\d', '*', 'g') END AS id_number_mask,
    CASE WHEN id_clean IS NULL THEN NULL
         WHEN pbi_id_mangled(id_clean) THEN 'excel_mangled_id'
         WHEN NOT pbi_id_format_ok(id_clean) THEN 'bad_id_format'
         WHEN pbi_id_check(id_clean) <> id_clean[18] THEN 'bad_check_digit' END AS id_number_rule,
    pbi_clean(gender) AS gender, pbi_clean(ethnicity) AS ethnicity, pbi_clean(birth_date) AS birth_date,
    pbi_clean(education) AS education, pbi_clean(member_category) AS member_category,
    pbi_clean(join_date) AS join_date, pbi_clean(full_member_date) AS full_member_date,
    pbi_clean(branch) AS branch, pbi_clean(member_type) AS member_type, pbi_clean(grid_id) AS grid_id,
    pbi_clean(employer) AS employer,
    pbi_phone_mask(phone_clean) AS phone_mask,
    CASE WHEN phone_clean IS NOT NULL AND NOT regexp_full_match(phone_clean, '\d{11}') THEN 'invalid_phone' END
        AS phone_rule,
    pbi_clean(status) AS status,
    coalesce(pbi_clean(as_of), getvariable('pbi_as_of')) AS as_of
FROM c;

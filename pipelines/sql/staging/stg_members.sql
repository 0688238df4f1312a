-- Roster rows. The ID number is replaced here by its keyed hash, masked form and the
-- verdict of the ID rules (stg_id_numbers): no clear ID number leaves staging. Phones are kept masked.
CREATE OR REPLACE TEMP TABLE stg_members AS
WITH c AS (
    SELECT *, pbi_clean(phone) AS phone_clean FROM raw_members
)
SELECT _file_id, _row,
    pbi_text(name) AS name,
    i.id_key AS id_number_key, i.id_mask AS id_number_mask, i.id_rule AS id_number_rule,
    pbi_clean(gender) AS gender, pbi_text(ethnicity) AS ethnicity, pbi_clean(birth_date) AS birth_date,
    pbi_text(education) AS education, pbi_clean(member_category) AS member_category,
    pbi_clean(join_date) AS join_date, pbi_clean(full_member_date) AS full_member_date,
    pbi_text(branch) AS branch, pbi_clean(member_type) AS member_type, pbi_clean(grid_id) AS grid_id,
    pbi_text(employer) AS employer,
    pbi_phone_mask(phone_clean) AS phone_mask,
    CASE WHEN phone_clean IS NOT NULL AND NOT regexp_full_match(phone_clean, '\d{11}') THEN 'invalid_phone' END
        AS phone_rule,
    pbi_clean(status) AS status,
    coalesce(pbi_clean(as_of), getvariable('pbi_as_of')) AS as_of,
    pbi_clean(reporting_org_id) AS reporting_org_id,  -- v1.1 (NULL in a v1 roster)
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM c LEFT JOIN stg_id_numbers i ON i.id_raw = c.id_number;

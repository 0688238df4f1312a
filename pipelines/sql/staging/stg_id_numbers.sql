-- Every distinct ID number of this batch (rosters, servers, claimants) as it was written
-- (id_raw: staging joins on it) with what staging keeps of it: the keyed hash, the masked form
-- and the verdict of the ID rules. Cleaned and computed once per person rather than once per
-- record.
CREATE OR REPLACE TEMP TABLE stg_id_numbers AS
WITH raw AS (
    SELECT id_number AS id_raw FROM raw_members
    UNION SELECT id_number FROM raw_services
    UNION SELECT claimed_by FROM raw_demands
), ids AS (SELECT id_raw, upper(pbi_clean(id_raw)) AS id_clean FROM raw)
SELECT id_raw,
    CASE WHEN pbi_id_format_ok(id_clean) THEN pbi_member_key(id_clean) END AS id_key,
    -- A number Excel mangled (3.30102197107088E+17) still holds the region and birth date:
    -- only its first six digits are kept (3.30102*********E+17), enough to recognise it.
    CASE WHEN pbi_id_mangled(id_clean) THEN regexp_extract(id_clean, '^\d(\.\d{0,5})?')
             || regexp_replace(regexp_extract(id_clean, '^\d(\.\d{0,5})?(\d*)', 2), '\d', '*', 'g')
             || regexp_extract(id_clean, '[eE]\+?\d+$')
         WHEN pbi_id_format_ok(id_clean) THEN pbi_id_mask(id_clean)
         ELSE regexp_replace(id_clean, '\d', '*', 'g') END AS id_mask,
    CASE WHEN pbi_id_mangled(id_clean) THEN 'excel_mangled_id'
         WHEN NOT pbi_id_format_ok(id_clean) THEN 'bad_id_format'
         WHEN pbi_id_check(id_clean) <> id_clean[18] THEN 'bad_check_digit' END AS id_rule
FROM ids WHERE id_clean IS NOT NULL;

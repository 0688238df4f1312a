-- Service records. The server's ID number becomes a keyed hash, a mask and an ID verdict.
CREATE OR REPLACE TEMP TABLE stg_services AS
WITH c AS (SELECT *, upper(pbi_clean(id_number)) AS id_clean FROM raw_services)
SELECT _file_id, _row,
    pbi_clean(record_id) AS record_id,
    CASE WHEN pbi_id_format_ok(id_clean) THEN pbi_member_key(id_clean) END AS id_number_key,
    CASE WHEN pbi_id_mangled(id_clean) THEN id_clean WHEN pbi_id_format_ok(id_clean) THEN pbi_id_mask(id_clean)
         ELSE regexp_replace(id_clean, '\d', '*', 'g') END AS id_number_mask,
    CASE WHEN id_clean IS NULL THEN NULL
         WHEN pbi_id_mangled(id_clean) THEN 'excel_mangled_id'
         WHEN NOT pbi_id_format_ok(id_clean) THEN 'bad_id_format'
         WHEN pbi_id_check(id_clean) <> id_clean[18] THEN 'bad_check_digit' END AS id_number_rule,
    pbi_clean(grid_id) AS grid_id, pbi_clean(service_date) AS service_date, pbi_clean(category) AS category,
    pbi_clean(hours) AS hours, pbi_clean(beneficiaries) AS beneficiaries, pbi_clean(rating) AS rating,
    pbi_clean(description) AS description
FROM c;

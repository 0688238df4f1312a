-- Resident demand tickets. The claimant's ID number becomes a keyed hash, a mask and a verdict.
CREATE OR REPLACE TEMP TABLE stg_demands AS
WITH c AS (SELECT *, upper(pbi_clean(claimed_by)) AS id_clean FROM raw_demands)
SELECT _file_id, _row,
    pbi_clean(ticket_id) AS ticket_id, pbi_clean(grid_id) AS grid_id, pbi_clean(category) AS category,
    pbi_clean(reported_at) AS reported_at,
    CASE WHEN pbi_id_format_ok(id_clean) THEN pbi_member_key(id_clean) END AS claimed_by_key,
    CASE WHEN pbi_id_mangled(id_clean) THEN id_clean WHEN pbi_id_format_ok(id_clean) THEN pbi_id_mask(id_clean)
         ELSE regexp_replace(id_clean, '\d', '*', 'g') END AS claimed_by_mask,
    CASE WHEN id_clean IS NULL THEN NULL
         WHEN pbi_id_mangled(id_clean) THEN 'excel_mangled_id'
         WHEN NOT pbi_id_format_ok(id_clean) THEN 'bad_id_format'
         WHEN pbi_id_check(id_clean) <> id_clean[18] THEN 'bad_check_digit' END AS claimed_by_rule,
    pbi_clean(resolved_at) AS resolved_at, pbi_clean(resolved_level) AS resolved_level,
    pbi_clean(satisfaction) AS satisfaction, pbi_clean(description) AS description
FROM c;

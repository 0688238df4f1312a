-- Service records against the contract.
CREATE OR REPLACE TEMP VIEW int_services_checked AS
WITH dates AS (  -- a few hundred distinct dates among millions of records: parse each once
    SELECT v, pbi_date(v) AS d FROM (SELECT DISTINCT service_date AS v FROM stg_services)
), t AS (
    SELECT s.*, dates.d AS service_date_d, pbi_num(hours) AS hours_n,
        pbi_int(beneficiaries) AS beneficiaries_n, pbi_int(rating) AS rating_n
    FROM stg_services s LEFT JOIN dates ON dates.v = s.service_date
)
SELECT t.*,
    CASE
        WHEN record_id IS NULL THEN pbi_fail('missing_required', 'record_id', NULL)
        WHEN id_number_mask IS NULL THEN pbi_fail('missing_required', 'id_number', NULL)
        WHEN id_number_rule IS NOT NULL THEN pbi_fail(id_number_rule, 'id_number', id_number_mask)
        WHEN grid_id IS NULL THEN pbi_fail('missing_required', 'grid_id', NULL)
        WHEN grid_id NOT IN (SELECT grid_id FROM int_known_grids) THEN pbi_fail('unknown_grid', 'grid_id', grid_id)
        WHEN service_date IS NULL THEN pbi_fail('missing_required', 'service_date', NULL)
        WHEN service_date_d IS NULL THEN pbi_fail('invalid_date', 'service_date', service_date)
        WHEN category IS NULL THEN pbi_fail('missing_required', 'category', NULL)
        WHEN hours IS NULL THEN pbi_fail('missing_required', 'hours', NULL)
        WHEN hours_n IS NULL OR hours_n <= 0 OR hours_n > 24 THEN pbi_fail('hours_out_of_range', 'hours', hours)
        WHEN rating IS NOT NULL AND (rating_n IS NULL OR rating_n NOT BETWEEN 1 AND 5)
            THEN pbi_fail('rating_out_of_range', 'rating', rating)
        WHEN beneficiaries IS NOT NULL AND coalesce(beneficiaries_n, -1) < 0
            THEN pbi_fail('invalid_number', 'beneficiaries', beneficiaries)
        WHEN id_number_key NOT IN (SELECT member_key FROM int_known_members)
            THEN pbi_fail('unknown_member', 'id_number', id_number_mask)
    END AS _fail
FROM t;

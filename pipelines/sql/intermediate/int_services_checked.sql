-- Service records against the contract (rules: macros.sql; the first that fails).
CREATE OR REPLACE TEMP VIEW int_services_checked AS
WITH dates AS (  -- a few hundred distinct dates among millions of records: parse each once
    SELECT v, pbi_date(v) AS d FROM (SELECT DISTINCT service_date AS v FROM stg_services)
), t AS (
    SELECT s.*, dates.d AS service_date_d, pbi_num(hours) AS hours_n,
        pbi_int(beneficiaries) AS beneficiaries_n, pbi_int(rating) AS rating_n
    FROM stg_services s LEFT JOIN dates ON dates.v = s.service_date
)
SELECT t.*, coalesce(
    pbi_required(record_id, 'record_id'),
    pbi_id_number(id_number_mask, id_number_rule),
    pbi_required(grid_id, 'grid_id'),
    pbi_rule(grid_id NOT IN (SELECT grid_id FROM int_known_grids), 'unknown_grid', 'grid_id', grid_id),
    pbi_required_date(service_date, service_date_d, 'service_date'),
    pbi_required(category, 'category'),
    pbi_required(hours, 'hours'),
    pbi_rule(hours_n IS NULL OR hours_n <= 0 OR hours_n > 24, 'hours_out_of_range', 'hours', hours),
    pbi_rating(rating, rating_n, 'rating'),
    pbi_count('services', beneficiaries, beneficiaries_n, 'beneficiaries'),
    pbi_rule(id_number_key NOT IN (SELECT member_key FROM int_known_members), 'unknown_member',
        'id_number', id_number_mask)
) AS _fail
FROM t;

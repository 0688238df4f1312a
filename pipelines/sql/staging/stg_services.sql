-- Service records. The server's ID number becomes a keyed hash, a mask and an ID verdict.
CREATE OR REPLACE TEMP TABLE stg_services AS
SELECT _file_id, _row,
    pbi_clean(record_id) AS record_id,
    i.id_key AS id_number_key, i.id_mask AS id_number_mask, i.id_rule AS id_number_rule,
    pbi_clean(grid_id) AS grid_id, pbi_clean(service_date) AS service_date, pbi_text(category) AS category,
    pbi_clean(hours) AS hours, pbi_clean(beneficiaries) AS beneficiaries, pbi_clean(rating) AS rating,
    pbi_text(description) AS description,
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM raw_services c LEFT JOIN stg_id_numbers i ON i.id_raw = c.id_number;

-- The columns published in services, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_services_typed AS
SELECT record_id, id_number_key AS member_key, grid_id, service_date_d AS service_date, category,
    hours_n AS hours, beneficiaries_n AS beneficiaries, rating_n AS rating, description, _file_id, _row, _retry, _fail
FROM int_services_checked;

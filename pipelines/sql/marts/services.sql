-- Service records (key record_id); the member as keyed hash and registry number.
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
CREATE TABLE IF NOT EXISTS services (
    record_id VARCHAR, member_key VARCHAR, member_no INTEGER, grid_id VARCHAR, service_date DATE, category VARCHAR,
    hours DOUBLE, beneficiaries BIGINT, rating BIGINT, description VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);
CREATE OR REPLACE TEMP VIEW int_services_typed AS
SELECT record_id, id_number_key AS member_key, grid_id, service_date_d AS service_date, category,
    hours_n AS hours, beneficiaries_n AS beneficiaries, rating_n AS rating, description, _file_id, _row, _retry, _fail
FROM int_services_checked;

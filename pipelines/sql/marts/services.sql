-- Service records (key record_id); the member as keyed hash and registry number.
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
CREATE TABLE IF NOT EXISTS services (
    record_id VARCHAR, member_key VARCHAR, member_no INTEGER, grid_id VARCHAR, service_date DATE, category VARCHAR,
    hours DOUBLE, beneficiaries BIGINT, rating BIGINT, description VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

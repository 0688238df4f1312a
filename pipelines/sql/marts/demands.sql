-- Resident demand tickets (key ticket_id); the claimant as keyed hash and registry number.
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
CREATE TABLE IF NOT EXISTS demands (
    ticket_id VARCHAR, grid_id VARCHAR, category VARCHAR, reported_at TIMESTAMP,
    claimed_by_key VARCHAR, claimed_by_no INTEGER, resolved_at TIMESTAMP, resolved_level VARCHAR, satisfaction BIGINT, description VARCHAR,
    claimed_by_org VARCHAR,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

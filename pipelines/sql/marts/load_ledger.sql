-- Per batch and file, the reconciliation: rows_read = loaded + quarantined + unchanged.
CREATE TABLE IF NOT EXISTS load_ledger (
    batch_id INTEGER, file_id INTEGER, file_name VARCHAR, content_hash VARCHAR, kind VARCHAR,
    rows_read BIGINT, loaded BIGINT, quarantined BIGINT, unchanged BIGINT, status VARCHAR, loaded_at TIMESTAMP,
    PRIMARY KEY (batch_id, file_id));

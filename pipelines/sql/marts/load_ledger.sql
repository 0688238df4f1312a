-- What was loaded: batches, the files they read (by content hash) and per-file reconciliation:
-- rows_read = loaded + quarantined + unchanged.
CREATE TABLE IF NOT EXISTS load_batches (
    batch_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, as_of DATE, strict BOOLEAN,
    files INTEGER, released INTEGER, superseded INTEGER);
CREATE TABLE IF NOT EXISTS load_files (
    file_id INTEGER PRIMARY KEY, file_name VARCHAR, path VARCHAR, content_hash VARCHAR UNIQUE, kind VARCHAR,
    size_bytes BIGINT, first_batch INTEGER);
CREATE TABLE IF NOT EXISTS load_ledger (
    batch_id INTEGER, file_id INTEGER, file_name VARCHAR, content_hash VARCHAR, kind VARCHAR,
    rows_read BIGINT, loaded BIGINT, quarantined BIGINT, unchanged BIGINT, status VARCHAR, loaded_at TIMESTAMP,
    PRIMARY KEY (batch_id, file_id));

-- Every file ever loaded, recognised by its content hash (a file seen before is not read again).
CREATE TABLE IF NOT EXISTS load_files (
    file_id INTEGER PRIMARY KEY, file_name VARCHAR, path VARCHAR, content_hash VARCHAR UNIQUE, kind VARCHAR,
    size_bytes BIGINT, first_batch INTEGER);

-- Objections (异议) filed against a unit while its period was on public notice, never changed or
-- deleted; run_id is the run on notice when filed. A file is kept in the evidence folder under
-- its SHA-256 (as adjustments' evidence). unit_path: the unit's place for scopes ('' the city).
CREATE TABLE IF NOT EXISTS objections (
    id INTEGER PRIMARY KEY,
    period VARCHAR NOT NULL CHECK (regexp_full_match(period, '\d{4}(Q[1-4])?')),
    run_id INTEGER NOT NULL,
    level VARCHAR NOT NULL CHECK (level IN ({levels})),
    unit_id VARCHAR NOT NULL,
    unit_name VARCHAR NOT NULL,
    unit_path VARCHAR NOT NULL,
    text VARCHAR NOT NULL CHECK (length(trim(text)) > 0),
    file_name VARCHAR,
    file_sha256 VARCHAR CHECK (file_sha256 IS NULL OR regexp_full_match(file_sha256, '[0-9a-f]{64}')),
    filed_by VARCHAR NOT NULL,
    filed_at TIMESTAMP NOT NULL)

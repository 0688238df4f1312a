-- The audit log: append-only, each row's hash chained to its predecessor's (see audit.py).
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, logged_at TIMESTAMPTZ NOT NULL, actor VARCHAR NOT NULL, event VARCHAR NOT NULL,
    subject VARCHAR, what VARCHAR, scope VARCHAR, row_count BIGINT, detail VARCHAR, client VARCHAR,
    row_hash VARCHAR NOT NULL)

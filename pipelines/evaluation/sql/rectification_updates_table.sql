-- What was reported on a rectification item, in order: measures (整改措施), a status (整改中 or
-- 已完成), an evidence file (kept under its SHA-256); or an administrator's confirmation (销号).
CREATE TABLE IF NOT EXISTS rectification_updates (
    item_id INTEGER NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('update', 'confirm')),
    measures VARCHAR,
    status VARCHAR CHECK (status IS NULL OR status IN ('整改中', '已完成')),
    evidence_name VARCHAR,
    evidence_sha256 VARCHAR CHECK (evidence_sha256 IS NULL OR regexp_full_match(evidence_sha256, '[0-9a-f]{64}')),
    reported_by VARCHAR NOT NULL,
    reported_at TIMESTAMP NOT NULL)

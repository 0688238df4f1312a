-- What was decided about an adjustment, in order: at most one 'approve' or 'reject', then at
-- most one 'revoke' (adjustments.py allows no other sequence). Never changed or deleted.
CREATE TABLE IF NOT EXISTS adjustment_decisions (
    adjustment_id INTEGER NOT NULL,
    decision VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject', 'revoke')),
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    reason VARCHAR,
    CHECK (decision = 'approve' OR coalesce(length(trim(reason)), 0) > 0))

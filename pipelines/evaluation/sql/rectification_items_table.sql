-- Rectification items (整改跟踪): one per unit on a published period's rectification list
-- (pipelines/report/rectification_rule.py), made at publication from the published run, never
-- changed or deleted; what happened since is in rectification_updates. weakest: JSON, the two
-- indicators that lose most points (code, name, score, lost); deadline: its last day.
CREATE TABLE IF NOT EXISTS rectification_items (
    id INTEGER PRIMARY KEY,
    period VARCHAR NOT NULL CHECK (regexp_full_match(period, '\d{4}(Q[1-4])?')),
    run_id INTEGER NOT NULL,
    level VARCHAR NOT NULL CHECK (level IN ({levels})),
    unit_id VARCHAR NOT NULL,
    unit_name VARCHAR NOT NULL,
    unit_path VARCHAR NOT NULL,
    reasons VARCHAR NOT NULL,
    weakest VARCHAR NOT NULL,
    organisation VARCHAR,
    deadline DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (period, level, unit_id))

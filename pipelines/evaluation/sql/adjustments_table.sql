-- Adjustments (加减分, 一票否决): one row per entry, never changed or deleted; what happened to
-- it is in adjustment_decisions. The checks restate adjustments.py's refusals as a last guard.
-- unit_path: the place the unit lies at for scopes ('' the city; a grid's community path).
-- Times are China time (UTC+8, no daylight saving).
CREATE TABLE IF NOT EXISTS adjustments (
    id INTEGER PRIMARY KEY,
    level VARCHAR NOT NULL CHECK (level IN ({levels})),
    unit_id VARCHAR NOT NULL,
    unit_name VARCHAR NOT NULL,
    unit_path VARCHAR NOT NULL,
    period VARCHAR NOT NULL CHECK (regexp_full_match(period, '\d{4}(Q[1-4])?')),
    kind VARCHAR NOT NULL CHECK (kind IN ({kinds})),
    points DOUBLE NOT NULL CHECK (isfinite(points) AND abs(points) <= 100
        AND CASE kind WHEN {bonus} THEN points > 0 WHEN {deduction} THEN points < 0 ELSE points = 0 END),
    reason VARCHAR NOT NULL CHECK (length(trim(reason)) > 0),
    evidence_name VARCHAR,
    evidence_sha256 VARCHAR CHECK (evidence_sha256 IS NULL OR regexp_full_match(evidence_sha256, '[0-9a-f]{64}')),
    entered_by VARCHAR NOT NULL,
    entered_at TIMESTAMP NOT NULL)

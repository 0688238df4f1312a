-- How an objection was resolved: accepted (what was changed) or rejected (why), once.
CREATE TABLE IF NOT EXISTS objection_resolutions (
    objection_id INTEGER PRIMARY KEY,
    decision VARCHAR NOT NULL CHECK (decision IN ('accept', 'reject')),
    note VARCHAR NOT NULL CHECK (length(trim(note)) > 0),
    resolved_by VARCHAR NOT NULL,
    resolved_at TIMESTAMP NOT NULL)

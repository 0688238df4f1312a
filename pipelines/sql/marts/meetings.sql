-- Meetings of branches, groups and committees (key meeting_id).
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
CREATE TABLE IF NOT EXISTS meetings (
    meeting_id VARCHAR, org_id VARCHAR, meeting_type VARCHAR, meeting_date DATE,
    expected BIGINT, attended BIGINT,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

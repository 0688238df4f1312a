-- Meetings of branches, groups and committees (key meeting_id).
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
CREATE TABLE IF NOT EXISTS meetings (
    meeting_id VARCHAR, org_id VARCHAR, meeting_type VARCHAR, meeting_date DATE,
    expected BIGINT, attended BIGINT,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);
CREATE OR REPLACE TEMP VIEW int_meetings_typed AS
SELECT meeting_id, org_id, meeting_type, meeting_date_d AS meeting_date, expected_n AS expected,
    attended_n AS attended, _file_id, _row, _retry, _fail
FROM int_meetings_checked;

-- The columns published in meetings, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_meetings_typed AS
SELECT meeting_id, org_id, meeting_type, meeting_date_d AS meeting_date, expected_n AS expected,
    attended_n AS attended, _file_id, _row, _retry, _fail
FROM int_meetings_checked;

-- Meeting records (三会一课, 主题党日), cleaned text.
CREATE OR REPLACE TEMP TABLE stg_meetings AS
SELECT _file_id, _row,
    pbi_clean(meeting_id) AS meeting_id, pbi_clean(org_id) AS org_id, pbi_clean(meeting_type) AS meeting_type,
    pbi_clean(meeting_date) AS meeting_date, pbi_clean(expected) AS expected, pbi_clean(attended) AS attended,
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM raw_meetings;

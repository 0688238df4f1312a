-- The quarter key of a date or timestamp (2025Q3 → 20253): records are aggregated by this
-- integer first and get their label from int_periods, which is much cheaper than a string per row.
CREATE OR REPLACE TEMP MACRO pbi_qkey(d) AS year(d) * 10 + quarter(d);
-- The quarters covered by the data: from the first to the last quarter with a service,
-- demand or meeting. period: '2025Q3'; pkey: 20253; p_start and p_end: its first and last day.
-- In `work`, so that the computation's second connection sees them too.
CREATE OR REPLACE TABLE work.int_periods AS
WITH bounds AS (
    SELECT min(d) AS lo, max(d) AS hi FROM (
        SELECT min(service_date) AS d FROM services
        UNION ALL SELECT max(service_date) FROM services
        UNION ALL SELECT CAST(min(reported_at) AS DATE) FROM demands
        UNION ALL SELECT CAST(max(reported_at) AS DATE) FROM demands
        UNION ALL SELECT min(meeting_date) FROM meetings
        UNION ALL SELECT max(meeting_date) FROM meetings)
)
SELECT strftime(q, '%Y') || 'Q' || quarter(q) AS period, pbi_qkey(q) AS pkey, CAST(q AS DATE) AS p_start,
    CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS p_end
FROM bounds, range(date_trunc('quarter', lo), date_trunc('quarter', hi) + INTERVAL 1 DAY, INTERVAL 3 MONTH) t(q)
WHERE lo IS NOT NULL;
CREATE OR REPLACE TEMP VIEW int_periods AS SELECT * FROM work.int_periods;

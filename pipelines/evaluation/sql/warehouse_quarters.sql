-- The quarters the loaded data covers, as pipelines/sql/indices/int_periods.sql defines them:
-- from the first to the last quarter with a service, demand or meeting ('2025Q3'), oldest first.
WITH bounds AS (
    SELECT min(d) AS lo, max(d) AS hi FROM (
        SELECT min(service_date) AS d FROM services
        UNION ALL SELECT max(service_date) FROM services
        UNION ALL SELECT CAST(min(reported_at) AS DATE) FROM demands
        UNION ALL SELECT CAST(max(reported_at) AS DATE) FROM demands
        UNION ALL SELECT min(meeting_date) FROM meetings
        UNION ALL SELECT max(meeting_date) FROM meetings)
)
SELECT strftime(q, '%Y') || 'Q' || quarter(q) AS period
FROM bounds, range(date_trunc('quarter', lo), date_trunc('quarter', hi) + INTERVAL 1 DAY, INTERVAL 3 MONTH) t(q)
WHERE lo IS NOT NULL
ORDER BY q

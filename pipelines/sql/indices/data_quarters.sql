-- The quarters the loaded data covers: from the first to the last quarter with a service,
-- demand or meeting. period: '2025Q3'; pkey: 20253; p_start and p_end: its first and last
-- day. One SELECT, read by the engine (int_periods.sql) and by the adjustment register (which
-- periods an entry may name).
WITH bounds AS (
    SELECT min(d) AS lo, max(d) AS hi FROM (
        SELECT min(service_date) AS d FROM services
        UNION ALL SELECT max(service_date) FROM services
        UNION ALL SELECT CAST(min(reported_at) AS DATE) FROM demands
        UNION ALL SELECT CAST(max(reported_at) AS DATE) FROM demands
        UNION ALL SELECT min(meeting_date) FROM meetings
        UNION ALL SELECT max(meeting_date) FROM meetings)
)
SELECT strftime(q, '%Y') || 'Q' || quarter(q) AS period, year(q) * 10 + quarter(q) AS pkey, CAST(q AS DATE) AS p_start,
    CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS p_end
FROM bounds, range(date_trunc('quarter', lo), date_trunc('quarter', hi) + INTERVAL 1 DAY, INTERVAL 3 MONTH) t(q)
WHERE lo IS NOT NULL
ORDER BY q

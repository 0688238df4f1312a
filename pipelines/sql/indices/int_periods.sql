-- The quarter label of a date ('2025Q3'): records join their period by label, not by range.
CREATE OR REPLACE TEMP MACRO pbi_quarter(d) AS CAST(year(d) AS VARCHAR) || 'Q' || CAST(quarter(d) AS VARCHAR);
-- The quarters covered by the data: from the first to the last quarter with a service,
-- demand or meeting. period: '2025Q3'; p_start and p_end: its first and last day.
CREATE OR REPLACE TEMP TABLE int_periods AS
WITH bounds AS (
    SELECT min(d) AS lo, max(d) AS hi FROM (
        SELECT service_date AS d FROM services
        UNION ALL SELECT CAST(reported_at AS DATE) FROM demands
        UNION ALL SELECT meeting_date FROM meetings)
)
SELECT strftime(q, '%Y') || 'Q' || quarter(q) AS period, CAST(q AS DATE) AS p_start,
    CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS p_end
FROM bounds, range(date_trunc('quarter', lo), date_trunc('quarter', hi) + INTERVAL 1 DAY, INTERVAL 3 MONTH) t(q)
WHERE lo IS NOT NULL;

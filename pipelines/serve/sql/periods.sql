-- A run's periods: its quarters oldest first, then its years ('2025' sorts before '2025Q1').
SELECT DISTINCT period, period NOT LIKE '%Q%' AS is_year FROM unit_scores WHERE run_id = $run ORDER BY is_year, period

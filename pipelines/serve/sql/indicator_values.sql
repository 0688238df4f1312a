-- The raw indicator values and 0–100 scores of every unit of a level in a quarter, as the run
-- scored them; for a year ($period '2025'), those of each of its quarters (period '2025Q3'),
-- from which the what-if averages the year as the engine does.
SELECT * EXCLUDE (run_id, level) FROM indicator_scores
WHERE run_id = $run AND level = $level
    AND (period = $period OR (length($period) = 4 AND period LIKE $period || 'Q_'))
ORDER BY period, unit_id

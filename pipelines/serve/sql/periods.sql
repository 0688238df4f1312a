-- A run's quarters, oldest first.
SELECT DISTINCT period FROM unit_scores WHERE run_id = $run ORDER BY period

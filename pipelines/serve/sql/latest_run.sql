-- The newest run's id (NULL when nothing was computed).
SELECT max(run_id) AS run_id FROM runs

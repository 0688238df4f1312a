-- The raw indicator values and 0–100 scores of every unit of a level in a quarter, as the run scored them.
SELECT * EXCLUDE (run_id, period, level) FROM indicator_scores WHERE run_id = $run AND period = $period AND level = $level

-- One unit's scores, grade, ranks and lists in every quarter of a run, oldest first.
SELECT * EXCLUDE (run_id) FROM unit_scores WHERE run_id = $run AND level = $level AND unit_id = $unit ORDER BY period

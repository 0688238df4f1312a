-- One unit's scores, grade, ranks and lists in every period of one kind ($kind: 'quarter' or
-- 'year') of a run, oldest first.
SELECT * EXCLUDE (run_id) FROM unit_scores
WHERE run_id = $run AND level = $level AND unit_id = $unit AND (period LIKE '%Q%') = ($kind = 'quarter')
ORDER BY period

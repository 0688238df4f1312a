-- One unit's scores, grade, ranks and lists in each given period of one kind ($kind: 'quarter'
-- or 'year'), each read from its own run: $periods[i] from run $runs[i] (each period's official
-- run), oldest first.
WITH chosen AS (SELECT unnest($periods::VARCHAR[]) AS period, unnest($runs::INTEGER[]) AS run_id)
SELECT u.* EXCLUDE (run_id)
FROM unit_scores u JOIN chosen c ON u.run_id = c.run_id AND u.period = c.period
WHERE u.level = $level AND u.unit_id = $unit AND (u.period LIKE '%Q%') = ($kind = 'quarter')
ORDER BY u.period

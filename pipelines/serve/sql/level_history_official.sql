-- Every unit of a level within the scope in each given period of one kind ($kind: 'quarter' or
-- 'year'), each read from its own run: $periods[i] from run $runs[i] (each period's official run).
WITH chosen AS (SELECT unnest($periods::VARCHAR[]) AS period, unnest($runs::INTEGER[]) AS run_id)
SELECT u.period, u.unit_id, u.unit_name, u.composite, u.fortress, u.vanguard, u.service, u.grade, u.composite_rank
FROM unit_scores u
JOIN chosen c ON u.run_id = c.run_id AND u.period = c.period
LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
WHERE u.level = $level AND (u.period LIKE '%Q%') = ($kind = 'quarter')
    AND pbi_covers($scope, pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community))
ORDER BY u.period, u.unit_id

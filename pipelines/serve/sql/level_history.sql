-- Every unit of a level within the scope in every period of one kind ($kind: 'quarter' or
-- 'year') of a run.
SELECT u.period, u.unit_id, u.unit_name, u.composite, u.fortress, u.vanguard, u.service, u.grade, u.composite_rank
FROM unit_scores u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
WHERE u.run_id = $run AND u.level = $level AND (u.period LIKE '%Q%') = ($kind = 'quarter')
    AND pbi_covers($scope, pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community))
ORDER BY u.period, u.unit_id

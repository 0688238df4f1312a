-- A run's units of a period within the scope, per level and grade: how many, how many on the
-- red list (红榜) and on the black list (黑榜), and the grade's best composite (to order grades).
SELECT u.level, u.grade, count(*) AS units, count(*) FILTER (WHERE u."list" = $red) AS red,
    count(*) FILTER (WHERE u."list" = $black) AS black, max(u.composite) AS best
FROM unit_scores u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
WHERE u.run_id = $run AND u.period = $period
    AND pbi_covers($scope, pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community))
GROUP BY u.level, u.grade
ORDER BY list_position($levels, u.level), best DESC NULLS LAST

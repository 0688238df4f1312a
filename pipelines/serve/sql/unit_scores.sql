-- Every unit of a level in a quarter within the scope, ranked (unranked units last), with its
-- composite and grade of the quarter $previous (NULL: none) and its place.
SELECT u.* EXCLUDE (run_id), p.composite AS prev_composite, p.grade AS prev_grade,
    pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community) AS path
FROM unit_scores u
LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
LEFT JOIN unit_scores p ON p.run_id = u.run_id AND p.level = u.level AND p.unit_id = u.unit_id AND p.period = $previous
WHERE u.run_id = $run AND u.period = $period AND u.level = $level
    AND pbi_covers($scope, pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community))
ORDER BY u.composite_rank NULLS LAST, u.unit_id

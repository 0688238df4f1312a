-- Units of a level within the scope with an early warning in a quarter (composite down two
-- quarters running, or a yellow card), biggest fall first.
SELECT u.unit_id, u.unit_name, u.prev2, u.prev1, u.composite, u.declined_twice, u.yellow_card
FROM unit_warnings u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
WHERE u.run_id = $run AND u.period = $period AND u.level = $level
    AND pbi_covers($scope, pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community))
    AND (u.declined_twice OR u.yellow_card)
ORDER BY u.composite - u.prev1, u.unit_id

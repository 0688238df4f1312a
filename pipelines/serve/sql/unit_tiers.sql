-- How many of a unit's counted members are in each tier in a quarter (every tier listed).
SELECT t.tier, count(m.member_no) AS members
FROM run_tiers t
LEFT JOIN member_scores m ON m.run_id = t.run_id AND m.tier_no = t.tier_no AND m.pkey = $pkey
    AND m.grid_no IN (
        SELECT r.grid_no FROM grid_registry r JOIN grids g USING (grid_id)
        WHERE pbi_unit_has_grid($level, $unit, g.grid_id, pbi_grid_path(g.district, g.street, g.community)))
WHERE t.run_id = $run
GROUP BY t.tier, t.tier_no
ORDER BY t.tier_no

-- The 正能量值 export of members (methodology v1.2): every member counted in the period with
-- their points of a run by pseudonymous key, within the scope (by the member's grid): the
-- period's points (a quarter's capped, a year's the sum of its capped quarters), year to date
-- and tier. Most points first.
SELECT $period AS period, r.member_key, g.grid_id, p.points, p.points_ytd, p.tier
FROM member_points p
    JOIN member_registry r USING (member_no)
    JOIN grid_registry gr USING (grid_no)
    JOIN grids g ON g.grid_id = gr.grid_id
WHERE p.run_id = $run AND p.pkey = $pkey AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY p.points DESC, r.member_key

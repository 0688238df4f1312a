-- The member export: every counted member's score and tier of a run by their pseudonymous key,
-- within the scope, of one period or all ($period NULL): quarters first, then years.
SELECT m.period, r.member_key, m.grid_id, m.score, m.tier
FROM member_scores_v m JOIN member_registry r USING (member_no) JOIN grids g USING (grid_id)
WHERE m.run_id = $run AND ($period IS NULL OR m.period = $period)
    AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY m.period NOT LIKE '%Q%', m.period, r.member_key

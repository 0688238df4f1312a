-- One member's quarters in a run, then their years: grid, services, hours, claims, rating, score
-- and tier (only periods in which the member was counted in a grid within the scope).
SELECT m.period, m.grid_id, m.services, m.hours, m.claims, m.rating, m.score, m.tier
FROM member_scores_v m JOIN grids g USING (grid_id)
WHERE m.run_id = $run AND m.member_no = $member AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY m.period NOT LIKE '%Q%', m.period

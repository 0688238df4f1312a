-- One member's quarters, then their years, each period read from its own run: $periods[i] from
-- run $runs[i] (each period's official run): grid, services, hours, claims, rating, score and
-- tier (only periods in which the member was counted in a grid within the scope).
WITH chosen AS (SELECT unnest($periods::VARCHAR[]) AS period, unnest($runs::INTEGER[]) AS run_id)
SELECT m.period, m.grid_id, m.services, m.hours, m.claims, m.rating, m.score, m.tier
FROM member_scores_v m
JOIN chosen c ON m.run_id = c.run_id AND m.period = c.period
JOIN grids g USING (grid_id)
WHERE m.member_no = $member AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY m.period NOT LIKE '%Q%', m.period

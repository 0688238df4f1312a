-- Counted members within the scope in a quarter (key $pkey) per tier (every tier listed), with
-- their mean score and how many were never active (no service, no claim).
WITH scoped AS (
    SELECT m.member_no, m.services, m.claims, m.score, m.tier_no
    FROM member_scores m JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
    WHERE m.run_id = $run AND m.pkey = $pkey AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community)))
SELECT t.tier, count(m.member_no) AS members, avg(m.score) AS mean_score,
    count(m.member_no) FILTER (WHERE m.services = 0 AND m.claims = 0) AS inactive
FROM run_tiers t LEFT JOIN scoped m USING (tier_no)
WHERE t.run_id = $run
GROUP BY t.tier, t.tier_no
ORDER BY t.tier_no

-- The first $limit members within the scope never active in a quarter (key $pkey: no service,
-- no claim), by grid, with their latest name (unmasked: the caller masks).
WITH chosen AS (
    SELECT m.member_no, r.grid_id, g.grid_name, m.services, m.hours, m.claims, m.rating, m.score, m.tier_no
    FROM member_scores m JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
    WHERE m.run_id = $run AND m.pkey = $pkey AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
        AND m.services = 0 AND m.claims = 0
    ORDER BY r.grid_id, m.member_no
    LIMIT $limit)
SELECT c.member_no, n.name, c.grid_id, c.grid_name, c.services, c.hours, c.claims, c.rating, c.score, t.tier
FROM chosen c
JOIN run_tiers t ON t.run_id = $run AND t.tier_no = c.tier_no
LEFT JOIN (
    SELECT member_no, arg_max(name, as_of) AS name FROM members
    WHERE member_no IN (SELECT member_no FROM chosen) GROUP BY member_no) n USING (member_no)
ORDER BY c.grid_id, c.member_no

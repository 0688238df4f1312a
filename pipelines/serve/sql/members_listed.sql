-- Members within the scope in a quarter (key $pkey), with their latest name (unmasked: the
-- caller masks): $which = 'top', the $limit with the highest vanguard score; 'inactive', the
-- first $limit never active (no service, no claim), by grid.
WITH chosen AS (
    SELECT m.member_no, r.grid_id, g.grid_name, m.services, m.hours, m.claims, m.rating, m.score, m.tier_no
    FROM member_scores m JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
    WHERE m.run_id = $run AND m.pkey = $pkey AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
        AND ($which = 'top' OR (m.services = 0 AND m.claims = 0))
    ORDER BY CASE WHEN $which = 'top' THEN m.score END DESC, CASE WHEN $which = 'inactive' THEN r.grid_id END,
        m.member_no
    LIMIT $limit)
SELECT c.member_no, n.name, c.grid_id, c.grid_name, c.services, c.hours, c.claims, c.rating, c.score, t.tier
FROM chosen c
JOIN run_tiers t ON t.run_id = $run AND t.tier_no = c.tier_no
LEFT JOIN (
    SELECT member_no, arg_max(name, as_of) AS name FROM members
    WHERE member_no IN (SELECT member_no FROM chosen) GROUP BY member_no) n USING (member_no)
ORDER BY CASE WHEN $which = 'top' THEN c.score END DESC, CASE WHEN $which = 'inactive' THEN c.grid_id END,
    c.member_no

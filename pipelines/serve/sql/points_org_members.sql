-- The members reporting to organisation $org counted in run $run's period (key $pkey), those
-- whose grid lies within the scope: latest name (unmasked: the caller masks), grid, the
-- period's activity and points, year-to-date and tier. Most points first.
WITH reported AS (
    SELECT p.member_no, r.grid_id, g.grid_name, pbi_grid_path(g.district, g.street, g.community) AS community,
        p.services, p.hours, p.claims, p.ratings_5, p.points, p.points_ytd, p.tier
    FROM member_points p JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
    WHERE p.run_id = $run AND p.pkey = $pkey AND p.reporting_org_id = $org
        AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community)))
SELECT c.member_no, n.name, c.grid_id, c.grid_name, c.community, c.services, c.hours, c.claims, c.ratings_5,
    c.points, c.points_ytd, c.tier
FROM reported c
LEFT JOIN (
    SELECT member_no, arg_max(name, as_of) AS name FROM members
    WHERE member_no IN (SELECT member_no FROM reported) GROUP BY member_no) n USING (member_no)
ORDER BY c.points DESC, c.member_no

-- The communities organisation $org serves in a period (days $start up to $end), within the
-- scope: where its reported members (counted in run $run's period, key $pkey) gave services,
-- and where the demands it claimed were resolved.
WITH reported AS (
    SELECT member_no FROM member_points WHERE run_id = $run AND pkey = $pkey AND reporting_org_id = $org),
served AS (
    SELECT pbi_grid_path(g.district, g.street, g.community) AS community, count(DISTINCT s.member_no) AS members,
        count(*) AS services, sum(s.hours) AS hours
    FROM services s JOIN grids g USING (grid_id)
    WHERE s.member_no IN (SELECT member_no FROM reported) AND s.service_date >= $start AND s.service_date < $end
    GROUP BY 1),
claimed AS (
    SELECT pbi_grid_path(g.district, g.street, g.community) AS community, count(*) AS claimed_demands
    FROM demands d JOIN grids g USING (grid_id)
    WHERE d.claimed_by_org = $org AND d.resolved_at >= $start AND d.resolved_at < $end
    GROUP BY 1)
SELECT community, coalesce(s.members, 0) AS members, coalesce(s.services, 0) AS services,
    coalesce(s.hours, 0) AS hours, coalesce(c.claimed_demands, 0) AS claimed_demands
FROM served s FULL JOIN claimed c USING (community)
WHERE pbi_covers($scope, community)
ORDER BY services DESC, claimed_demands DESC, community

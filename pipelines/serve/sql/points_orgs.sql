-- Reporting organisations (报到单位党组织) of run $run in period $period (key $pkey) within the
-- scope, as org_points holds them: an organisation is in scope when its district is (the city
-- or a district scope), or when one of its reported members counted in the period lives in a
-- grid within the scope (so a street or community sees the units that report to it; for a
-- year, in any of its quarters, as the year's members are every member linked in one of them).
-- Ranked ones first by city rank, then the unranked (fewer members than the rule asks) by 人均.
-- The 双报到 page, the meeting pack and `export points --level orgs` all read this one query.
WITH reached AS (
    SELECT DISTINCT p.reporting_org_id AS org_id
    FROM member_points p JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
    WHERE p.run_id = $run AND p.pkey // 10 = $pkey // 10 AND ($pkey % 10 = 0 OR p.pkey = $pkey)
        AND p.reporting_org_id IS NOT NULL
        AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community)))
SELECT o.org_id, o.org_name,
    -- an organisation based in a district outside the scope: its district and rank there are not shown
    CASE WHEN pbi_covers($scope, o.district) THEN o.district END AS district,
    o.members, o.services, o.hours, o.claimed_demands, o.points, o.points_per_member, o.ranked, o.city_rank,
    CASE WHEN pbi_covers($scope, o.district) THEN o.district_rank END AS district_rank
FROM org_points o
WHERE o.run_id = $run AND o.period = $period
    AND (pbi_covers($scope, o.district) OR o.org_id IN (SELECT org_id FROM reached))
ORDER BY o.ranked DESC, o.city_rank NULLS LAST, o.points_per_member DESC NULLS LAST, o.org_id

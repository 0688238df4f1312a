-- One member's points in each given period, each read from its own run: $periods[i] from run
-- $runs[i] (quarters and years; only periods in which the member was counted in a grid within
-- the scope): the counts of each source, points before and after the quarterly cap, the year
-- to date and its tier, and the organisation they report to.
WITH chosen AS (
    SELECT period, run_id,
        CAST(left(period, 4) AS INTEGER) * 10 + CASE WHEN period LIKE '%Q%' THEN CAST(right(period, 1) AS INTEGER)
            ELSE 0 END AS pkey
    FROM (SELECT unnest($periods::VARCHAR[]) AS period, unnest($runs::INTEGER[]) AS run_id))
SELECT c.period, c.run_id, r.grid_id, p.reporting_org_id, o.org_name AS reporting_org, p.services, p.hours, p.claims,
    p.ratings_5, p.points_raw, p.points, p.points_ytd, p.tier
FROM member_points p
JOIN chosen c ON p.run_id = c.run_id AND p.pkey = c.pkey
JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
LEFT JOIN orgs o ON o.org_id = p.reporting_org_id
WHERE p.member_no = $member AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY c.period NOT LIKE '%Q%', c.period

-- The organisations $orgs in each given period, each read from its own run: $periods[i] from
-- run $runs[i] (each period's official run): 人均正能量值, points, members and ranks.
WITH chosen AS (SELECT unnest($periods::VARCHAR[]) AS period, unnest($runs::INTEGER[]) AS run_id)
SELECT o.period, o.org_id, o.members, o.points, o.points_per_member, o.ranked, o.city_rank, o.district_rank
FROM org_points o
JOIN chosen c ON o.run_id = c.run_id AND o.period = c.period
WHERE o.org_id IN (SELECT unnest($orgs::VARCHAR[]))
ORDER BY o.period, o.org_id

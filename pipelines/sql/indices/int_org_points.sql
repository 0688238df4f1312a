-- 正能量值 of the reporting organisations (methodology v1.2, type 报到单位党组织) per quarter and
-- year: the capped points, services and hours of the members counted in the period whose
-- reporting_org_id is the organisation (a year: the sum over its quarters; its members: every
-- member linked to it in one of them), plus {per_org_claim} per demand it claimed (认领单位组织编码,
-- {org_claims}: empty on an older warehouse) resolved in the period. 人均 = points / members
-- (missing without members). district: where it reports most members (by their grid; ties: the
-- district first by name). Ranked with at least {min_members} members, by 人均 (9 decimals,
-- ties share the lowest rank: 1, 2, 2, 4) in the city and within its district; others listed,
-- not ranked. Listed: every reporting organisation with a member or a claimed demand in p.
CREATE OR REPLACE TEMP TABLE int_org_points AS
WITH linked AS MATERIALIZED (
    SELECT p.period, m.member_no, m.reporting_org_id AS org_id, g.district, m.services, m.hours,
        least({points_raw}, {quarter_cap}) AS points
    FROM work.int_member_rows m JOIN int_periods p USING (pkey)
        JOIN grid_registry r USING (grid_no) JOIN grids g ON g.grid_id = r.grid_id
    WHERE m.reporting_org_id IS NOT NULL
), in_periods AS (  -- each member-quarter counts in its quarter and in its year
    SELECT * FROM linked
    UNION ALL
    SELECT left(period, 4) AS period, member_no, org_id, district, services, hours, points FROM linked
), member_totals AS (
    SELECT period, org_id, count(DISTINCT member_no) AS members, sum(services) AS services, sum(hours) AS hours,
        sum(points) AS member_points
    FROM in_periods GROUP BY ALL
), districts AS (
    SELECT period, org_id, first(district ORDER BY n DESC, district) AS district
    FROM (SELECT period, org_id, district, count(DISTINCT member_no) AS n FROM in_periods GROUP BY ALL)
    GROUP BY ALL
), claimed AS (
    SELECT p.period, c.org_id, c.n
    FROM (SELECT claimed_by_org AS org_id, pbi_qkey(resolved_at) AS pkey, count(*) AS n
          FROM {org_claims} WHERE claimed_by_org IS NOT NULL AND resolved_at IS NOT NULL GROUP BY ALL) c
        JOIN int_periods p USING (pkey)
), claims AS (
    SELECT period, org_id, sum(n) AS claimed_demands FROM (
        SELECT * FROM claimed UNION ALL SELECT left(period, 4), org_id, n FROM claimed)
    GROUP BY ALL
), totals AS (
    SELECT period, org_id, o.org_name, d.district, coalesce(t.members, 0) AS members,
        coalesce(t.services, 0) AS services, coalesce(t.hours, 0.0) AS hours,
        coalesce(c.claimed_demands, 0) AS claimed_demands,
        coalesce(t.member_points, 0.0) + {per_org_claim} * coalesce(c.claimed_demands, 0) AS points
    FROM member_totals t FULL JOIN claims c USING (period, org_id)
        JOIN orgs o USING (org_id)
        LEFT JOIN districts d USING (period, org_id)
    WHERE o.org_type = '报到单位党组织'
), ranked AS (
    SELECT *, points / nullif(members, 0) AS points_per_member, members >= {min_members} AS ranked FROM totals
)
SELECT period, org_id, org_name, district, members, services, hours, claimed_demands, points, points_per_member,
    ranked,
    CASE WHEN ranked THEN rank() OVER (PARTITION BY period, ranked ORDER BY round(points_per_member, 9) DESC) END
        AS city_rank,
    CASE WHEN ranked THEN rank() OVER (PARTITION BY period, ranked, district
                                      ORDER BY round(points_per_member, 9) DESC) END AS district_rank
FROM ranked

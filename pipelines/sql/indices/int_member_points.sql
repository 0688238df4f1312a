-- 正能量值 of each counted member (methodology v1.2), quarters (key 20253) and years (20250),
-- from the run's member rows (work.int_member_rows: services, hours, claims resolved in the
-- quarter, ratings of the top rating, reporting organisation). A quarter's raw points are
-- {points_raw}, its points capped at {quarter_cap}; points_ytd sums the year's capped quarters
-- up to and including it. A year's points are the sum of its capped quarters (year to date
-- while it runs: its latest quarter's points_ytd), points_raw the sum of the raw ones. Tiers on
-- the year's points (points_ytd). A year's grid and reporting organisation: those of the latest
-- counted quarter (the latest link, if the last quarter has none). The year to date comes from
-- one GROUP BY per member and year (its capped quarters q1…q4, added in quarter order, so a
-- year's points and its last quarter's points_ytd are the same number), joined back: cheaper
-- than a window sorting every member-quarter. One SELECT: the computation inserts it into the
-- mart from its writing connection, beside the rest.
WITH quarters AS (
    SELECT run_id, pkey, member_no, grid_no, reporting_org_id, services, hours, claims, ratings_5,
        {points_raw} AS points_raw, least({points_raw}, {quarter_cap}) AS points
    FROM work.int_member_rows
), years AS (
    SELECT run_id, pkey // 10 AS y, member_no, arg_max(grid_no, pkey) AS grid_no,
        arg_max(reporting_org_id, pkey) AS reporting_org_id, sum(services) AS services, sum(hours) AS hours,
        sum(claims) AS claims, sum(ratings_5) AS ratings_5, sum(points_raw) AS points_raw,
        coalesce(sum(points) FILTER (WHERE pkey % 10 = 1), 0) AS q1,
        coalesce(sum(points) FILTER (WHERE pkey % 10 = 2), 0) AS q2,
        coalesce(sum(points) FILTER (WHERE pkey % 10 = 3), 0) AS q3,
        coalesce(sum(points) FILTER (WHERE pkey % 10 = 4), 0) AS q4
    FROM quarters
    GROUP BY run_id, pkey // 10, member_no
)
SELECT *, {tier_case} AS tier FROM (
    SELECT q.run_id, q.pkey, q.member_no, q.grid_no, q.reporting_org_id, q.services, q.hours, q.claims, q.ratings_5,
        q.points_raw, q.points,
        CASE q.pkey % 10 WHEN 1 THEN y.q1 WHEN 2 THEN y.q1 + y.q2 WHEN 3 THEN y.q1 + y.q2 + y.q3
            ELSE y.q1 + y.q2 + y.q3 + y.q4 END AS points_ytd
    FROM quarters q JOIN years y ON y.member_no = q.member_no AND y.y = q.pkey // 10
    UNION ALL
    SELECT run_id, y * 10, member_no, grid_no, reporting_org_id, services, hours, claims, ratings_5, points_raw,
        q1 + q2 + q3 + q4, q1 + q2 + q3 + q4
    FROM years
)

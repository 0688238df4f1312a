-- Members' years (methodology v1.1), key 20250 for 2025: the annual vanguard score is the mean
-- of the member's quarterly scores over the quarters they were counted, tier by the same
-- cut-offs; services, hours and claims are sums, the rating the mean of the quarterly
-- ratings, the grid that of their latest counted quarter. One GROUP BY over the quarter rows: a
-- SELECT of member_scores' columns, which the computation inserts (DuckDB) or unions (Spark).
SELECT run_id, pkey, member_no, grid_no, services, hours, claims, rating, score, {tier_case} AS tier_no
FROM (
    SELECT run_id, pkey // 10 * 10 AS pkey, member_no, arg_max(grid_no, pkey) AS grid_no, sum(services) AS services,
        sum(hours) AS hours, sum(claims) AS claims, avg(rating) AS rating, avg(score) AS score
    FROM work.int_member_rows
    GROUP BY run_id, pkey // 10, member_no
)

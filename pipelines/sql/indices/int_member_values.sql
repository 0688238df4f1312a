-- Raw values of the member components per counted member and period (methodology: V1–V4),
-- scored by the engine with the member tree. s: service records by the member in p (any
-- grid); h: their hours; c: demands claimed by the member and resolved in p; r_bar: rating
-- with a prior over the member's rated services in p; r5: their ratings of {top_rating} and
-- reporting_org_id (for the 正能量值 points, v1.2). V4 is missing without service (the
-- tree's missing-data rule then gives it no credit). Records meet the roster on one integer,
-- mq = member_no × 100000 + quarter key: a third cheaper than joining on the pair.
CREATE OR REPLACE TEMP VIEW int_member_values AS
WITH svc AS (
    SELECT member_no::BIGINT * 100000 + pbi_qkey(service_date) AS mq, count(*) AS s, sum(hours) AS h,
        count(rating) AS n_rated, coalesce(sum(rating), 0) AS rating_sum, count_if(rating = {top_rating}) AS r5
    FROM services GROUP BY ALL
), claims AS (
    SELECT claimed_by_no::BIGINT * 100000 + pbi_qkey(resolved_at) AS mq, count(*) AS c
    FROM demands WHERE claimed_by_no IS NOT NULL AND resolved_at IS NOT NULL GROUP BY ALL
), v AS (
    SELECT r.pkey, r.member_no, r.grid_no,
        coalesce(svc.s, 0) AS s, coalesce(svc.h, 0) AS h, coalesce(claims.c, 0) AS c,
        (coalesce(svc.rating_sum, 0) + {rating_prior_weight} * {rating_prior_mean})
            / (coalesce(svc.n_rated, 0) + {rating_prior_weight}) AS r_bar,
        coalesce(svc.r5, 0) AS r5, r.reporting_org_id
    FROM (SELECT *, member_no::BIGINT * 100000 + pkey AS mq FROM int_period_rosters) r
    LEFT JOIN svc USING (mq)
    LEFT JOIN claims USING (mq)
)
SELECT *, s AS V1, h AS V2, c AS V3, CASE WHEN s > 0 THEN r_bar END AS V4 FROM v;

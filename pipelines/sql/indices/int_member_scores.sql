-- Each counted member's vanguard score per period (methodology: member components V1–V4).
-- s: service records by the member in p (any grid); h: their hours; c: demands claimed by
-- the member and resolved in p; R: rating with a prior, 0 credit without service.
CREATE OR REPLACE TEMP TABLE int_member_scores AS
WITH svc AS (
    SELECT p.period, s.member_key, count(*) AS s, sum(s.hours) AS h, count(s.rating) AS n_rated,
        coalesce(sum(s.rating), 0) AS rating_sum
    FROM services s JOIN int_periods p ON p.period = pbi_quarter(s.service_date)
    GROUP BY ALL
), claims AS (
    SELECT p.period, d.claimed_by_key AS member_key, count(*) AS c
    FROM demands d JOIN int_periods p ON p.period = pbi_quarter(d.resolved_at)
    WHERE d.claimed_by_key IS NOT NULL GROUP BY ALL
), v AS (
    SELECT r.period, r.member_key, r.grid_id,
        coalesce(svc.s, 0) AS s, coalesce(svc.h, 0) AS h, coalesce(claims.c, 0) AS c,
        (coalesce(svc.rating_sum, 0) + {rating_prior_weight} * {rating_prior_mean})
            / (coalesce(svc.n_rated, 0) + {rating_prior_weight}) AS r_bar
    FROM int_period_rosters r
    LEFT JOIN svc USING (period, member_key)
    LEFT JOIN claims USING (period, member_key)
)
SELECT period, member_key, grid_id, s, h, c, r_bar,
    least(s / {v1_full}, 1) AS v1, least(h / {v2_full}, 1) AS v2, least(c / {v3_full}, 1) AS v3,
    CASE WHEN s = 0 THEN 0 ELSE least(greatest((r_bar - {v4_lo}) / ({v4_hi} - {v4_lo}), 0), 1) END AS v4,
    100 * ({v1_w} * least(s / {v1_full}, 1) + {v2_w} * least(h / {v2_full}, 1) + {v3_w} * least(c / {v3_full}, 1)
        + {v4_w} * CASE WHEN s = 0 THEN 0 ELSE least(greatest((r_bar - {v4_lo}) / ({v4_hi} - {v4_lo}), 0), 1) END)
        / ({v1_w} + {v2_w} + {v3_w} + {v4_w}) AS score
FROM v;

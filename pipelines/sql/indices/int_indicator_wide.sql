-- Raw value of every unit indicator per period, level and unit (methodology v1, F6 v1.2), one column
-- per indicator: the engine's input. Units above the grid pool the records: each value is a
-- ratio of sums over the unit's grids (F1 is the mean over branches, V5 the mean over
-- members, as stated). A value whose denominator is zero is missing (NULL). Records are
-- summed per grid and quarter key first (work.int_grid_records, and the members here), then
-- joined to the units.
CREATE OR REPLACE TEMP TABLE int_indicator_wide AS
WITH
-- Members of the period's roster (正常) per grid, with their scores and activity.
member_grid AS (
    SELECT r.grid_id, m.* FROM (
        SELECT grid_no, pkey, count(*) AS members, count(*) FILTER (WHERE services > 0) AS active,
            sum(score) AS score_sum, count(*) FILTER (WHERE score >= {vanguard_excellent}) AS excellent
        FROM work.int_member_rows GROUP BY ALL) m
    JOIN grid_registry r USING (grid_no)
),
-- Sums per unit and period.
unit_sums AS (
    SELECT u.level, u.unit_id, p.period,
        sum(r.completion_sum) AS f1_num, sum(r.branches) AS f1_den,
        sum(r.attended) AS f2_num, sum(r.expected) AS f2_den,
        sum(mg.active) AS f3_num, sum(mg.members) AS members,
        sum(r.resolved_in_grid) AS f4_num, sum(r.resolved) AS resolved,
        sum(r.tasks_done) AS f6_num, sum(r.tasks_due) AS f6_den,
        sum(g.households) AS households,
        sum(mg.score_sum) AS score_sum, sum(mg.excellent) AS excellent,
        sum(r.services) AS services, sum(r.demands) AS demands, sum(r.on_time) AS on_time,
        sum(coalesce(r.sat_sum, 0) + coalesce(r.rating_sum, 0)) AS r_sum,
        sum(coalesce(r.n_sat, 0) + coalesce(r.n_rated, 0)) AS r_n
    FROM int_unit_grids u
    CROSS JOIN int_periods p
    JOIN grids g ON g.grid_id = u.grid_id
    LEFT JOIN work.int_grid_records r ON r.grid_id = u.grid_id AND r.pkey = p.pkey
    LEFT JOIN member_grid mg ON mg.grid_id = u.grid_id AND mg.pkey = p.pkey
    GROUP BY ALL
)
SELECT period, level, unit_id,
    f1_num / nullif(f1_den, 0) AS F1,
    f2_num / nullif(f2_den, 0) AS F2,
    f3_num / nullif(members, 0) AS F3,
    f4_num / nullif(resolved, 0) AS F4,
    100.0 * coalesce(members, 0) / nullif(households, 0) AS F5,
    f6_num / nullif(f6_den, 0) AS F6,
    score_sum / nullif(members, 0) AS V5,
    excellent / nullif(members, 0) AS V6,
    100.0 * coalesce(services, 0) / nullif(households, 0) AS S1,
    resolved / nullif(demands, 0) AS S2,
    on_time / nullif(resolved, 0) AS S3,
    (r_sum + {satisfaction_prior_weight} * {satisfaction_prior_mean}) / (r_n + {satisfaction_prior_weight}) AS S4,
    r_sum AS S4_sum, r_n AS S4_n  -- S4's sums: a year's satisfaction pools them over its quarters
FROM unit_sums;

-- Raw value of every unit indicator per period, level and unit (methodology v1), one column
-- per indicator: the engine's input. Units above the grid pool the records: each value is a
-- ratio of sums over the unit's grids (F1 is the mean over branches, V5 the mean over
-- members, as stated). A value whose denominator is zero is missing (NULL). Records are
-- summed per grid and quarter key first, then joined to the units.
CREATE OR REPLACE TEMP TABLE int_indicator_wide AS
WITH
-- F1: per branch, Σ_t min(n_t, r_t) / Σ_t r_t over the required meeting types.
required(meeting_type, r) AS (VALUES {required_meetings}),
branch_periods AS (
    SELECT o.org_id, o.grid_id, p.pkey FROM orgs o CROSS JOIN int_periods p WHERE o.org_type = '网格党支部'
),
held AS (
    SELECT org_id, pbi_qkey(meeting_date) AS pkey, meeting_type, count(*) AS n FROM meetings GROUP BY ALL
),
branch_completion AS (
    SELECT b.grid_id, b.pkey, sum(least(coalesce(h.n, 0), q.r)) / sum(q.r) AS completion
    FROM branch_periods b CROSS JOIN required q
    LEFT JOIN held h ON h.org_id = b.org_id AND h.pkey = b.pkey AND h.meeting_type = q.meeting_type
    GROUP BY b.org_id, b.grid_id, b.pkey
),
branch_grid AS (
    SELECT grid_id, pkey, sum(completion) AS completion_sum, count(*) AS branches FROM branch_completion GROUP BY ALL
),
-- F2: attendance at meetings of branches and building groups.
attendance AS (
    SELECT o.grid_id, pbi_qkey(m.meeting_date) AS pkey, sum(m.attended) AS attended, sum(m.expected) AS expected
    FROM meetings m JOIN orgs o USING (org_id)
    WHERE o.org_type IN ('网格党支部', '楼栋党小组') GROUP BY ALL
),
-- Members of the period's roster (正常) per grid, with their scores and activity.
member_grid AS (
    SELECT r.grid_id, m.* FROM (
        SELECT grid_no, pkey, count(*) AS members, count(*) FILTER (WHERE services > 0) AS active,
            sum(score) AS score_sum, count(*) FILTER (WHERE score >= {vanguard_excellent}) AS excellent
        FROM work.int_member_rows GROUP BY ALL) m
    JOIN grid_registry r USING (grid_no)
),
-- Services and their ratings by the grid where they were given.
service_grid AS (
    SELECT grid_id, pbi_qkey(service_date) AS pkey, count(*) AS services, count(rating) AS n_rated,
        coalesce(sum(rating), 0) AS rating_sum
    FROM services GROUP BY ALL
),
-- Demands reported in the period.
demand_grid AS (
    SELECT grid_id, pbi_qkey(reported_at) AS pkey, count(*) AS demands,
        count(resolved_at) AS resolved,
        count(*) FILTER (WHERE resolved_at IS NOT NULL AND resolved_level = '网格') AS resolved_in_grid,
        count(*) FILTER (WHERE resolved_at IS NOT NULL
                         AND date_diff('second', reported_at, resolved_at) <= {on_time_hours} * 3600) AS on_time,
        count(satisfaction) AS n_sat, coalesce(sum(satisfaction), 0) AS sat_sum
    FROM demands GROUP BY ALL
),
-- Sums per unit and period.
unit_sums AS (
    SELECT u.level, u.unit_id, p.period,
        sum(bc.completion_sum) AS f1_num, sum(bc.branches) AS f1_den,
        sum(a.attended) AS f2_num, sum(a.expected) AS f2_den,
        sum(mg.active) AS f3_num, sum(mg.members) AS members,
        sum(dg.resolved_in_grid) AS f4_num, sum(dg.resolved) AS resolved,
        sum(g.households) AS households,
        sum(mg.score_sum) AS score_sum, sum(mg.excellent) AS excellent,
        sum(sg.services) AS services, sum(dg.demands) AS demands, sum(dg.on_time) AS on_time,
        sum(coalesce(dg.sat_sum, 0) + coalesce(sg.rating_sum, 0)) AS r_sum,
        sum(coalesce(dg.n_sat, 0) + coalesce(sg.n_rated, 0)) AS r_n
    FROM int_unit_grids u
    CROSS JOIN int_periods p
    JOIN grids g ON g.grid_id = u.grid_id
    LEFT JOIN branch_grid bc ON bc.grid_id = u.grid_id AND bc.pkey = p.pkey
    LEFT JOIN attendance a ON a.grid_id = u.grid_id AND a.pkey = p.pkey
    LEFT JOIN member_grid mg ON mg.grid_id = u.grid_id AND mg.pkey = p.pkey
    LEFT JOIN service_grid sg ON sg.grid_id = u.grid_id AND sg.pkey = p.pkey
    LEFT JOIN demand_grid dg ON dg.grid_id = u.grid_id AND dg.pkey = p.pkey
    GROUP BY ALL
)
SELECT period, level, unit_id,
    f1_num / nullif(f1_den, 0) AS F1,
    f2_num / nullif(f2_den, 0) AS F2,
    f3_num / nullif(members, 0) AS F3,
    f4_num / nullif(resolved, 0) AS F4,
    100.0 * coalesce(members, 0) / nullif(households, 0) AS F5,
    score_sum / nullif(members, 0) AS V5,
    excellent / nullif(members, 0) AS V6,
    100.0 * coalesce(services, 0) / nullif(households, 0) AS S1,
    resolved / nullif(demands, 0) AS S2,
    on_time / nullif(resolved, 0) AS S3,
    (r_sum + {satisfaction_prior_weight} * {satisfaction_prior_mean}) / (r_n + {satisfaction_prior_weight}) AS S4
FROM unit_sums;

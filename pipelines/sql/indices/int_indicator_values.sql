-- Raw value of every unit indicator per level, unit and period (methodology v1). Units above
-- the grid pool the records: each value is a ratio of sums over the unit's grids (F1 is the
-- mean over branches, V5 the mean over members, as stated). A value whose denominator is
-- zero is missing (no row).
CREATE OR REPLACE TEMP TABLE int_indicator_values AS
WITH
-- F1: per branch, Σ_t min(n_t, r_t) / Σ_t r_t over the required meeting types.
required(meeting_type, r) AS (VALUES {required_meetings}),
branch_periods AS (
    SELECT o.org_id, o.grid_id, p.period FROM orgs o CROSS JOIN int_periods p WHERE o.org_type = '网格党支部'
),
held AS (
    SELECT m.org_id, p.period, m.meeting_type, count(*) AS n
    FROM meetings m JOIN int_periods p ON p.period = pbi_quarter(m.meeting_date)
    GROUP BY ALL
),
branch_completion AS (
    SELECT b.grid_id, b.period, sum(least(coalesce(h.n, 0), q.r)) / sum(q.r) AS completion
    FROM branch_periods b CROSS JOIN required q
    LEFT JOIN held h ON h.org_id = b.org_id AND h.period = b.period AND h.meeting_type = q.meeting_type
    GROUP BY b.org_id, b.grid_id, b.period
),
-- F2: attendance at meetings of branches and building groups.
attendance AS (
    SELECT o.grid_id, p.period, sum(m.attended) AS attended, sum(m.expected) AS expected
    FROM meetings m JOIN orgs o USING (org_id) JOIN int_periods p ON p.period = pbi_quarter(m.meeting_date)
    WHERE o.org_type IN ('网格党支部', '楼栋党小组') GROUP BY ALL
),
-- Members of the period's roster (正常) per grid, with their scores and activity.
member_grid AS (
    SELECT grid_id, period, count(*) AS members, count(*) FILTER (WHERE s > 0) AS active,
        sum(score) AS score_sum, count(*) FILTER (WHERE score >= {vanguard_excellent}) AS excellent
    FROM int_member_scores GROUP BY ALL
),
-- Services and their ratings by the grid where they were given.
service_grid AS (
    SELECT s.grid_id, p.period, count(*) AS services, count(s.rating) AS n_rated,
        coalesce(sum(s.rating), 0) AS rating_sum
    FROM services s JOIN int_periods p ON p.period = pbi_quarter(s.service_date) GROUP BY ALL
),
-- Demands reported in the period.
demand_grid AS (
    SELECT d.grid_id, p.period, count(*) AS demands,
        count(d.resolved_at) AS resolved,
        count(*) FILTER (WHERE d.resolved_at IS NOT NULL AND d.resolved_level = '网格') AS resolved_in_grid,
        count(*) FILTER (WHERE d.resolved_at IS NOT NULL
                         AND date_diff('second', d.reported_at, d.resolved_at) <= {on_time_hours} * 3600) AS on_time,
        count(d.satisfaction) AS n_sat, coalesce(sum(d.satisfaction), 0) AS sat_sum
    FROM demands d JOIN int_periods p ON p.period = pbi_quarter(d.reported_at) GROUP BY ALL
),
households AS (SELECT grid_id, households FROM grids),
-- Sums per unit and period.
unit_sums AS (
    SELECT u.level, u.unit_id, p.period,
        sum(bc.completion_sum) AS f1_num, sum(bc.branches) AS f1_den,
        sum(a.attended) AS f2_num, sum(a.expected) AS f2_den,
        sum(mg.active) AS f3_num, sum(mg.members) AS members,
        sum(dg.resolved_in_grid) AS f4_num, sum(dg.resolved) AS resolved,
        sum(h.households) AS households,
        sum(mg.score_sum) AS score_sum, sum(mg.excellent) AS excellent,
        sum(sg.services) AS services, sum(dg.demands) AS demands, sum(dg.on_time) AS on_time,
        sum(coalesce(dg.sat_sum, 0) + coalesce(sg.rating_sum, 0)) AS r_sum,
        sum(coalesce(dg.n_sat, 0) + coalesce(sg.n_rated, 0)) AS r_n
    FROM int_unit_grids u
    CROSS JOIN int_periods p
    JOIN households h ON h.grid_id = u.grid_id
    LEFT JOIN (SELECT grid_id, period, sum(completion) AS completion_sum, count(*) AS branches
               FROM branch_completion GROUP BY ALL) bc ON bc.grid_id = u.grid_id AND bc.period = p.period
    LEFT JOIN attendance a ON a.grid_id = u.grid_id AND a.period = p.period
    LEFT JOIN member_grid mg ON mg.grid_id = u.grid_id AND mg.period = p.period
    LEFT JOIN service_grid sg ON sg.grid_id = u.grid_id AND sg.period = p.period
    LEFT JOIN demand_grid dg ON dg.grid_id = u.grid_id AND dg.period = p.period
    GROUP BY ALL
)
SELECT level, unit_id, period, code, value FROM unit_sums,
LATERAL (VALUES
    ('F1', f1_num / nullif(f1_den, 0)),
    ('F2', f2_num / nullif(f2_den, 0)),
    ('F3', f3_num / nullif(members, 0)),
    ('F4', f4_num / nullif(resolved, 0)),
    ('F5', 100.0 * coalesce(members, 0) / nullif(households, 0)),
    ('V5', score_sum / nullif(members, 0)),
    ('V6', excellent / nullif(members, 0)),
    ('S1', 100.0 * coalesce(services, 0) / nullif(households, 0)),
    ('S2', resolved / nullif(demands, 0)),
    ('S3', on_time / nullif(resolved, 0)),
    ('S4', (r_sum + {satisfaction_prior_weight} * {satisfaction_prior_mean}) / (r_n + {satisfaction_prior_weight}))
) AS t(code, value)
WHERE value IS NOT NULL;

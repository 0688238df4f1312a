-- Records summed per grid and quarter key, for the unit indicators that do not depend on
-- members: meeting completion per branch (F1), attendance (F2), services and ratings (S1,
-- S4), demands (F4, S2–S4), tasks (F6; {tasks} is the warehouse's task list, or an empty
-- relation where none was ever loaded: F6 is then missing everywhere). Independent of the member scores, so it runs on the computation's
-- second connection at the same time; hence its own macro and tables in `work`.
CREATE OR REPLACE TEMP MACRO pbi_qkey(d) AS year(d) * 10 + quarter(d);
CREATE OR REPLACE TABLE work.int_grid_records AS
WITH
-- F1: per branch, Σ_t min(n_t, r_t) / Σ_t r_t over the required meeting types.
required(meeting_type, r) AS (VALUES {required_meetings}),
branch_periods AS (
    SELECT o.org_id, o.grid_id, p.pkey FROM orgs o CROSS JOIN work.int_periods p WHERE o.org_type = '网格党支部'
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
-- F6: tasks of branches and building groups by the quarter of their due date (a task due on
-- 03-31 is Q1's, on 04-01 Q2's); done = completed on or before the due date (that day counts).
task_grid AS (
    SELECT o.grid_id, pbi_qkey(t.due_date) AS pkey, count(*) AS tasks_due,
        count(*) FILTER (WHERE t.completed_date <= t.due_date) AS tasks_done
    FROM {tasks} t JOIN orgs o ON o.org_id = t.org_id
    WHERE o.org_type IN ('网格党支部', '楼栋党小组') AND o.grid_id IS NOT NULL AND t.due_date IS NOT NULL
    GROUP BY ALL
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
)
SELECT grid_id, pkey,  -- each column comes from one branch of the union; max() picks it
    max(completion_sum) AS completion_sum, max(branches) AS branches, max(attended) AS attended,
    max(expected) AS expected, max(services) AS services, max(n_rated) AS n_rated, max(rating_sum) AS rating_sum,
    max(demands) AS demands, max(resolved) AS resolved, max(resolved_in_grid) AS resolved_in_grid,
    max(on_time) AS on_time, max(n_sat) AS n_sat, max(sat_sum) AS sat_sum,
    max(tasks_due) AS tasks_due, max(tasks_done) AS tasks_done
FROM (
    SELECT grid_id, pkey, completion_sum, branches FROM branch_grid
    UNION ALL BY NAME SELECT grid_id, pkey, attended, expected FROM attendance
    UNION ALL BY NAME SELECT grid_id, pkey, services, n_rated, rating_sum FROM service_grid
    UNION ALL BY NAME SELECT grid_id, pkey, demands, resolved, resolved_in_grid, on_time, n_sat, sat_sum FROM demand_grid
    UNION ALL BY NAME SELECT grid_id, pkey, tasks_due, tasks_done FROM task_grid
)
GROUP BY grid_id, pkey;

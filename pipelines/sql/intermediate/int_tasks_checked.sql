-- Task list rows against the contract (rules: macros.sql; the first that fails). A due date
-- may lie after the day of the load (a task still open), so it has no upper bound; the
-- assignment and the completion have happened, so theirs is the load's day like any date.
CREATE OR REPLACE TEMP VIEW int_tasks_checked AS
WITH t AS (
    SELECT s.*, pbi_date(assigned_date) AS assigned_date_d, pbi_date(due_date) AS due_date_d,
        pbi_date(completed_date) AS completed_date_d
    FROM stg_tasks s
)
SELECT t.*, coalesce(
    pbi_required(task_id, 'task_id'),
    pbi_required(org_id, 'org_id'),
    pbi_rule(org_id NOT IN (SELECT org_id FROM int_known_orgs), 'unknown_org', 'org_id', org_id),
    pbi_required(content, 'content'),
    pbi_required_date(assigned_date, assigned_date_d, 'assigned_date'),
    pbi_required(due_date, 'due_date'),
    pbi_rule(due_date_d IS NULL, 'invalid_date', 'due_date', due_date),
    pbi_rule(due_date_d < getvariable('pbi_earliest'), 'implausible_date', 'due_date', due_date),
    pbi_rule(due_date_d < assigned_date_d, 'due_before_assigned', 'due_date', due_date || ' < ' || assigned_date),
    pbi_date_ok(completed_date, completed_date_d, 'completed_date'),
    pbi_rule(completed_date_d < assigned_date_d, 'completed_before_assigned', 'completed_date',
        completed_date || ' < ' || assigned_date)
) AS _fail
FROM t;

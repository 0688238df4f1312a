-- The columns published in tasks, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_tasks_typed AS
SELECT task_id, org_id, content, category, assigned_date_d AS assigned_date, due_date_d AS due_date,
    completed_date_d AS completed_date, _file_id, _row, _retry, _fail
FROM int_tasks_checked;

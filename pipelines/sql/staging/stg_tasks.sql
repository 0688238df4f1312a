-- Task list rows (任务清单, v1.1), cleaned text.
CREATE OR REPLACE TEMP TABLE stg_tasks AS
SELECT _file_id, _row,
    pbi_clean(task_id) AS task_id, pbi_clean(org_id) AS org_id, pbi_text(content) AS content,
    pbi_text(category) AS category, pbi_clean(assigned_date) AS assigned_date, pbi_clean(due_date) AS due_date,
    pbi_clean(completed_date) AS completed_date,
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM raw_tasks;

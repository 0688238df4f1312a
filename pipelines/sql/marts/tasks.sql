-- Organisations' work tasks (任务清单, v1.1; key task_id): when assigned, due and completed
-- (completed_date NULL: not done). Created by every load, so a warehouse without a task list
-- holds it empty and readers never miss the table.
-- No index: the outcome step guarantees one row per key (tested); an index would cost more than it saves.
CREATE TABLE IF NOT EXISTS tasks (
    task_id VARCHAR, org_id VARCHAR, content VARCHAR, category VARCHAR,
    assigned_date DATE, due_date DATE, completed_date DATE,
    _content UBIGINT, _batch_id INTEGER, _file_id INTEGER, _row INTEGER);

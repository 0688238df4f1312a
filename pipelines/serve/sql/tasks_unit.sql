-- The tasks (任务清单) of a unit's grid organisations (网格党支部, 楼栋党小组: orgs.grid_id)
-- due in a period (days $start up to $end), as F6 counts them: done on time (completed on or
-- before the due date), late (completed after it) or open (not completed). Open first.
SELECT t.task_id, o.org_id, o.org_name, o.grid_id, t.content, t.category, t.assigned_date, t.due_date,
    t.completed_date,
    CASE WHEN t.completed_date IS NULL THEN 'open' WHEN t.completed_date <= t.due_date THEN 'on_time'
        ELSE 'late' END AS status
FROM tasks t JOIN orgs o USING (org_id) JOIN grids g ON g.grid_id = o.grid_id
WHERE o.org_type IN ('网格党支部', '楼栋党小组') AND t.due_date >= $start AND t.due_date < $end
    AND pbi_unit_has_grid($level, $unit, g.grid_id, pbi_grid_path(g.district, g.street, g.community))
ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'late' THEN 1 ELSE 2 END, t.due_date, t.task_id

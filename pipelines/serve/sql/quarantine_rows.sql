-- Every quarantined row within the scope (as in quarantine_count.sql) as a user finds it: file,
-- row, kind, column, value (ID numbers and phones masked by the loader), reason and rule.
SELECT f.file_name AS file, q.row, q.kind, q.header AS column, q.value, q.reason, q.rule
FROM quarantine q JOIN load_files f USING (file_id)
WHERE $scope = '' OR json_extract_string(q.staged, '$.grid_id') IN (
    SELECT grid_id FROM grids g WHERE pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community)))
ORDER BY f.file_name, q.row

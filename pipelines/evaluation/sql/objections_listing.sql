-- Every objection with its resolution (NULL while open), oldest first; filtered by one id, a
-- period, open only, who filed it, and a scope (the unit at or under it); NULL = any.
SELECT o.id AS objection_id, o.period, o.run_id, o.level, o.unit_id, o.unit_name, o.text, o.file_name,
    o.file_sha256, o.filed_by, o.filed_at, r.decision, r.note, r.resolved_by, r.resolved_at, o.unit_path
FROM objections o LEFT JOIN objection_resolutions r ON r.objection_id = o.id
WHERE ($id::INTEGER IS NULL OR o.id = $id) AND ($period::VARCHAR IS NULL OR o.period = $period)
    AND (NOT $open_only OR r.objection_id IS NULL) AND ($filed_by::VARCHAR IS NULL OR o.filed_by = $filed_by)
    AND ($scope::VARCHAR IS NULL OR $scope = '' OR o.unit_path = $scope OR starts_with(o.unit_path, $scope || '/'))
ORDER BY o.id

-- Every item with what was last reported on it: the latest measures, status and evidence given
-- (each the last update that gave one, in the order written: rowid, as nothing is deleted),
-- whether confirmed (销号) and by whom; oldest first.
-- Filtered by one id, a period and a scope (the unit at or under it); NULL = any. The status
-- shown (逾期 after the deadline) is derived by rectification.py with its clock.
WITH latest AS (
    SELECT item_id,
        arg_max(measures, n) FILTER (WHERE measures IS NOT NULL) AS measures,
        arg_max(status, n) FILTER (WHERE status IS NOT NULL) AS reported,
        arg_max(evidence_name, n) FILTER (WHERE evidence_sha256 IS NOT NULL) AS evidence_name,
        arg_max(evidence_sha256, n) FILTER (WHERE evidence_sha256 IS NOT NULL) AS evidence_sha256,
        max(reported_at) FILTER (WHERE action = 'update') AS updated_at,
        arg_max(reported_by, n) FILTER (WHERE action = 'confirm') AS confirmed_by,
        max(reported_at) FILTER (WHERE action = 'confirm') AS confirmed_at
    FROM (SELECT *, rowid AS n FROM rectification_updates) GROUP BY item_id)
SELECT i.id AS item_id, i.period, i.run_id, i.level, i.unit_id, i.unit_name, i.reasons, i.weakest, i.organisation,
    i.deadline, i.created_at, l.measures, l.reported, l.evidence_name, l.evidence_sha256, l.updated_at,
    l.confirmed_by, l.confirmed_at, i.unit_path
FROM rectification_items i LEFT JOIN latest l ON l.item_id = i.id
WHERE ($id::INTEGER IS NULL OR i.id = $id) AND ($period::VARCHAR IS NULL OR i.period = $period)
    AND ($scope::VARCHAR IS NULL OR $scope = '' OR i.unit_path = $scope OR starts_with(i.unit_path, $scope || '/'))
ORDER BY i.id

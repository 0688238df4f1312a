-- Every entry with its state, derived from its decisions: 已撤销 once revoked, else 已驳回
-- once rejected, else 已生效 once approved, else 待审批; decided_by/at/decision_reason are
-- those of the decision that set the state; unit_path last (for scopes; listing() drops it).
-- Filtered by period, level, state, one id, and a scope (the unit lies at or under it:
-- pipelines/access/scope.py covers); NULL = any.
WITH decided AS (
    SELECT adjustment_id,
        CASE WHEN bool_or(decision = 'revoke') THEN '已撤销' WHEN bool_or(decision = 'reject') THEN '已驳回'
            WHEN bool_or(decision = 'approve') THEN '已生效' END AS state,
        arg_max(decided_by, CASE decision WHEN 'revoke' THEN 2 ELSE 1 END) AS decided_by,
        arg_max(decided_at, CASE decision WHEN 'revoke' THEN 2 ELSE 1 END) AS decided_at,
        arg_max(reason, CASE decision WHEN 'revoke' THEN 2 ELSE 1 END) AS decision_reason
    FROM adjustment_decisions GROUP BY adjustment_id
)
SELECT a.id AS adjustment_id, a.level, a.unit_id, a.unit_name, a.period, a.kind, a.points, a.reason,
    a.evidence_name, a.evidence_sha256, coalesce(d.state, '待审批') AS state, a.entered_by, a.entered_at,
    d.decided_by, d.decided_at, d.decision_reason, a.unit_path
FROM adjustments a LEFT JOIN decided d ON d.adjustment_id = a.id
WHERE ($id::INTEGER IS NULL OR a.id = $id) AND ($period::VARCHAR IS NULL OR a.period = $period)
    AND ($level::VARCHAR IS NULL OR a.level = $level)
    AND ($state::VARCHAR IS NULL OR coalesce(d.state, '待审批') = $state)
    AND ($scope::VARCHAR IS NULL OR $scope = '' OR a.unit_path = $scope OR starts_with(a.unit_path, $scope || '/'))
ORDER BY a.id

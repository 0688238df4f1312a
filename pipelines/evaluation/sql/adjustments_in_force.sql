-- The entries that count: approved and not revoked, with who approved them and when, in the
-- columns of the results' run_adjustments (minus run_id), which compute copies them into.
SELECT a.id AS adjustment_id, a.level, a.unit_id, a.period, a.kind, a.points, a.reason, a.evidence_name,
    a.evidence_sha256, a.entered_by, a.entered_at, ok.decided_by AS approved_by, ok.decided_at AS approved_at
FROM adjustments a JOIN adjustment_decisions ok ON ok.adjustment_id = a.id AND ok.decision = 'approve'
WHERE NOT EXISTS (SELECT 1 FROM adjustment_decisions r WHERE r.adjustment_id = a.id AND r.decision = 'revoke')
ORDER BY a.id

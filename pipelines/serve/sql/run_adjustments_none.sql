-- No adjustments: the columns of run_adjustments.sql, for results computed before adjustments existed.
SELECT NULL::INTEGER AS adjustment_id, NULL::VARCHAR AS period, NULL::VARCHAR AS level, NULL::VARCHAR AS unit_id,
    NULL::VARCHAR AS kind, NULL::DOUBLE AS points, NULL::VARCHAR AS reason, NULL::VARCHAR AS evidence_name,
    NULL::VARCHAR AS evidence_sha256, NULL::VARCHAR AS entered_by, NULL::TIMESTAMP AS entered_at,
    NULL::VARCHAR AS approved_by, NULL::TIMESTAMP AS approved_at
WHERE false

-- Resident demand tickets against the contract.
CREATE OR REPLACE TEMP VIEW int_demands_checked AS
WITH t AS (
    SELECT s.*, pbi_ts(reported_at) AS reported_at_t, pbi_ts(resolved_at) AS resolved_at_t,
        pbi_int(satisfaction) AS satisfaction_n
    FROM stg_demands s
)
SELECT t.*,
    CASE
        WHEN ticket_id IS NULL THEN pbi_fail('missing_required', 'ticket_id', NULL)
        WHEN grid_id IS NULL THEN pbi_fail('missing_required', 'grid_id', NULL)
        WHEN grid_id NOT IN (SELECT grid_id FROM int_known_grids) THEN pbi_fail('unknown_grid', 'grid_id', grid_id)
        WHEN category IS NULL THEN pbi_fail('missing_required', 'category', NULL)
        WHEN reported_at IS NULL THEN pbi_fail('missing_required', 'reported_at', NULL)
        WHEN reported_at_t IS NULL THEN pbi_fail('invalid_date', 'reported_at', reported_at)
        WHEN resolved_at IS NOT NULL AND resolved_at_t IS NULL THEN pbi_fail('invalid_date', 'resolved_at', resolved_at)
        WHEN resolved_at_t < reported_at_t THEN pbi_fail('resolved_before_reported', 'resolved_at', resolved_at)
        WHEN resolved_at_t IS NOT NULL AND resolved_level IS NULL THEN pbi_fail('missing_level', 'resolved_level', NULL)
        WHEN resolved_level IS NOT NULL AND NOT pbi_code_ok('demands', 'resolved_level', resolved_level)
            THEN pbi_fail('invalid_code', 'resolved_level', resolved_level)
        WHEN satisfaction IS NOT NULL AND (satisfaction_n IS NULL OR satisfaction_n NOT BETWEEN 1 AND 5)
            THEN pbi_fail('rating_out_of_range', 'satisfaction', satisfaction)
        WHEN claimed_by_rule IS NOT NULL THEN pbi_fail(claimed_by_rule, 'claimed_by', claimed_by_mask)
        WHEN claimed_by_key NOT IN (SELECT member_key FROM int_known_members)
            THEN pbi_fail('unknown_member', 'claimed_by', claimed_by_mask)
    END AS _fail
FROM t;

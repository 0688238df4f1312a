-- Resident demand tickets against the contract (rules: macros.sql; the first that fails).
CREATE OR REPLACE TEMP VIEW int_demands_checked AS
WITH t AS (
    SELECT s.*, pbi_ts(reported_at) AS reported_at_t, pbi_ts(resolved_at) AS resolved_at_t,
        pbi_int(satisfaction) AS satisfaction_n
    FROM stg_demands s
)
SELECT t.*, coalesce(
    pbi_required(ticket_id, 'ticket_id'),
    pbi_required(grid_id, 'grid_id'),
    pbi_rule(grid_id NOT IN (SELECT grid_id FROM int_known_grids), 'unknown_grid', 'grid_id', grid_id),
    pbi_required(category, 'category'),
    pbi_required_date(reported_at, reported_at_t, 'reported_at'),
    pbi_date_ok(resolved_at, resolved_at_t, 'resolved_at'),
    pbi_rule(resolved_at_t < reported_at_t, 'resolved_before_reported', 'resolved_at', resolved_at),
    pbi_rule(resolved_at_t IS NOT NULL AND resolved_level IS NULL, 'missing_level', 'resolved_level', NULL),
    pbi_code('demands', 'resolved_level', resolved_level),
    pbi_rating(satisfaction, satisfaction_n, 'satisfaction'),
    pbi_staged_rule(claimed_by_rule, 'claimed_by', claimed_by_mask),
    pbi_rule(claimed_by_key NOT IN (SELECT member_key FROM int_known_members), 'unknown_member',
        'claimed_by', claimed_by_mask),
    -- v1.1: the organisation that claimed the demand, when given (any known org; usually a 报到单位党组织)
    pbi_rule(claimed_by_org IS NOT NULL AND claimed_by_org NOT IN (SELECT org_id FROM int_known_orgs), 'unknown_org',
        'claimed_by_org', claimed_by_org)
) AS _fail
FROM t;

-- Resident demand tickets. The claimant's ID number becomes a keyed hash, a mask and a verdict.
CREATE OR REPLACE TEMP TABLE stg_demands AS
SELECT _file_id, _row,
    pbi_clean(ticket_id) AS ticket_id, pbi_clean(grid_id) AS grid_id, pbi_text(category) AS category,
    pbi_clean(reported_at) AS reported_at,
    i.id_key AS claimed_by_key, i.id_mask AS claimed_by_mask, i.id_rule AS claimed_by_rule,
    pbi_clean(resolved_at) AS resolved_at, pbi_clean(resolved_level) AS resolved_level,
    pbi_clean(satisfaction) AS satisfaction, pbi_text(description) AS description,
    pbi_clean(claimed_by_org) AS claimed_by_org,  -- v1.1 (NULL in a v1 export)
    false AS _retry  -- stg_retried.sql adds the earlier quarantined rows
FROM raw_demands c LEFT JOIN stg_id_numbers i ON i.id_raw = c.claimed_by;

-- The columns published in demands, typed; all but _file_id, _row, _retry and _fail are the row's content.
CREATE OR REPLACE TEMP VIEW int_demands_typed AS
SELECT ticket_id, grid_id, category, reported_at_t AS reported_at, claimed_by_key, resolved_at_t AS resolved_at,
    resolved_level, satisfaction_n AS satisfaction, description, claimed_by_org, _file_id, _row, _retry, _fail
FROM int_demands_checked;

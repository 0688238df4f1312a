-- Record every row of {kind} failing now (retried or new) with where, what and why, and its
-- staged row (no clear ID numbers) for the next retry (quarantine_cleared.sql ran before).
-- {conflict_field} / {conflict_column}: what a key conflict shows (a masked ID for rosters).
INSERT INTO quarantine
WITH failing AS (
    SELECT o.*,
        CASE o.outcome WHEN 'quarantined' THEN o._fail.rule WHEN 'duplicate' THEN 'duplicate_row'
             ELSE 'key_conflict' END AS q_rule,
        CASE o.outcome WHEN 'quarantined' THEN o._fail.field WHEN 'conflict' THEN '{conflict_field}' END AS q_field,
        CASE o.outcome WHEN 'duplicate' THEN CAST(o._first_row AS VARCHAR)
             WHEN 'conflict' THEN CAST(o.{conflict_column} AS VARCHAR) ELSE o._fail.value END AS q_value
    FROM int_{kind}_outcome o WHERE o.outcome IN ('quarantined', 'duplicate', 'conflict')
)
SELECT f._file_id, f._row, '{kind}', f.q_field,
    CASE f.outcome WHEN 'duplicate' THEN '整行' ELSE h.header END,
    f.q_value, f.q_rule,
    replace(replace(r.zh, '{{header}}', coalesce(h.header, '')), '{{value}}', coalesce(f.q_value, ''))
        || ' (' || r.en || ')',
    to_json(s), coalesce(q.first_batch, getvariable('pbi_batch_id')), getvariable('pbi_batch_id')
FROM failing f
JOIN (SELECT * EXCLUDE (_retry) FROM stg_{kind}) s ON s._file_id = f._file_id AND s._row = f._row
JOIN rule_reasons r ON r.rule = f.q_rule
LEFT JOIN field_headers h ON h.kind = '{kind}' AND h.field = f.q_field
LEFT JOIN quarantine_before q ON q.file_id = f._file_id AND q.row = f._row;

-- Every transition, of one period or of all (NULL), in the order they happened.
SELECT id, period, action, run_id, notice_start, notice_end, acted_by, acted_at, reason FROM review_events
WHERE $period::VARCHAR IS NULL OR period = $period
ORDER BY id

-- A transition of a period's review (its id taken under the register's writer gate).
INSERT INTO review_events
SELECT coalesce(max(id), 0) + 1, $period, $action, $run_id, $notice_start, $notice_end, $by, $at, $reason
FROM review_events
RETURNING id

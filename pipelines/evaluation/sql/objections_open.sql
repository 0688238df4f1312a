-- How many objections of a period are still open (publication waits for none).
SELECT count(*) AS n FROM objections o
WHERE o.period = $period AND NOT EXISTS (SELECT 1 FROM objection_resolutions r WHERE r.objection_id = o.id)

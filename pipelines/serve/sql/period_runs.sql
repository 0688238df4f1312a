-- Every run that computed a period, newest first: its record (id, time in China time,
-- methodology version, config hash, data digest).
SELECT r.run_id, r.computed_at, r.methodology_version, r.config_hash, r.data_digest
FROM runs r
WHERE r.run_id IN (SELECT DISTINCT run_id FROM unit_scores WHERE period = $period)
ORDER BY r.run_id DESC

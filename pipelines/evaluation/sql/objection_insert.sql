-- A new objection; returns its id.
INSERT INTO objections
SELECT coalesce(max(id), 0) + 1, $period, $run_id, $level, $unit_id, $unit_name, $unit_path, $text, $file_name,
    $file_sha256, $by, $at
FROM objections
RETURNING id

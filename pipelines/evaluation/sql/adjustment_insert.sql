-- A new entry (pending until a decision is recorded).
INSERT INTO adjustments VALUES ($id, $level, $unit_id, $unit_name, $unit_path, $period, $kind, $points, $reason,
    $evidence_name, $evidence_sha256, $entered_by, $entered_at)

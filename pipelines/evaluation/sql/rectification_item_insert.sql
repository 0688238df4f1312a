-- A rectification item, unless the unit already has one for this period and level (a
-- correction's publication adds only units newly on the list).
INSERT INTO rectification_items
SELECT coalesce((SELECT max(id) FROM rectification_items), 0) + 1, $period, $run_id, $level, $unit_id, $unit_name,
    $unit_path, $reasons, $weakest, $organisation, $deadline, $at
WHERE NOT EXISTS (
    SELECT 1 FROM rectification_items WHERE period = $period AND level = $level AND unit_id = $unit_id)

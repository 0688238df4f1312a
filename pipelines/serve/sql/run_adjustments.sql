-- The adjustments (加分, 扣分, 一票否决) a run applied, within the scope, of one unit, level and
-- period or all (NULL): what was entered, why, with which evidence, and who approved it.
SELECT a.adjustment_id, a.period, a.level, a.unit_id, a.kind, a.points, a.reason, a.evidence_name,
    a.evidence_sha256, a.entered_by, a.entered_at, a.approved_by, a.approved_at
FROM run_adjustments a LEFT JOIN grids g ON a.level = 'grid' AND g.grid_id = a.unit_id
WHERE a.run_id = $run AND ($period IS NULL OR a.period = $period) AND ($level IS NULL OR a.level = $level)
    AND ($unit IS NULL OR a.unit_id = $unit)
    AND pbi_covers($scope, pbi_unit_path(a.level, a.unit_id, g.district, g.street, g.community))
ORDER BY a.period NOT LIKE '%Q%', a.period, a.level, a.unit_id, a.adjustment_id

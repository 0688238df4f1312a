-- The score export: every unit's published scores, grade, ranks and lists of a run, within
-- the scope, of one period and one level or all ($period, $level NULL): quarters first, then
-- years. `composite` is the adjusted composite (methodology v1.1); the raw composite, the
-- adjustment points applied and the veto follow at the end (veto '1' or empty).
SELECT u.period, u.level, u.unit_id, u.unit_name, u.fortress, u.vanguard, u.service, u.composite, u.grade,
    u.fortress_rank, u.vanguard_rank, u.service_rank, u.composite_rank, u.rank_change, u.list, u.yellow_card,
    u.rank_q05, u.rank_q95, u.composite_raw, u.adjustment, CASE WHEN u.veto THEN '1' ELSE '' END AS veto
FROM unit_scores u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
WHERE u.run_id = $run AND ($period IS NULL OR u.period = $period) AND ($level IS NULL OR u.level = $level)
    AND pbi_covers($scope, pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community))
ORDER BY u.period NOT LIKE '%Q%', u.period, u.level, u.composite_rank NULLS LAST, u.unit_id

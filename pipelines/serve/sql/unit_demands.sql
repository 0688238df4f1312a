-- The latest $limit resident demands of a unit's grids in a quarter (days $start up to $end).
SELECT d.reported_at, d.grid_id, d.category, d.resolved_at, d.resolved_level, d.satisfaction, d.description
FROM demands d JOIN grids g USING (grid_id)
WHERE d.reported_at >= $start AND d.reported_at < $end
    AND pbi_unit_has_grid($level, $unit, g.grid_id, pbi_grid_path(g.district, g.street, g.community))
ORDER BY d.reported_at DESC, d.ticket_id
LIMIT $limit

-- The latest $limit demands a member claimed, reported before $end in grids within the scope.
SELECT d.ticket_id, d.reported_at, d.grid_id, g.grid_name, d.category, d.resolved_at, d.resolved_level,
    d.satisfaction
FROM demands d JOIN grids g USING (grid_id)
WHERE d.claimed_by_no = $member AND d.reported_at < $end
    AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY d.reported_at DESC, d.ticket_id
LIMIT $limit

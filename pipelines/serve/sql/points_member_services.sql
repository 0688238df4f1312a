-- A member's latest $limit service records before $end, given in grids within the scope
-- (never an ID number).
SELECT s.service_date, s.grid_id, g.grid_name, s.category, s.hours, s.rating, s.description
FROM services s JOIN grids g USING (grid_id)
WHERE s.member_no = $member AND s.service_date < $end
    AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY s.service_date DESC, s.record_id
LIMIT $limit

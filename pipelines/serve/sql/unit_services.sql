-- The latest $limit service records of a unit's grids in a quarter (days $start up to $end),
-- with the member's latest name — never an ID number.
WITH latest AS (
    SELECT s.service_date, s.grid_id, s.member_no, s.category, s.hours, s.beneficiaries, s.rating, s.description, s.record_id
    FROM services s JOIN grids g USING (grid_id)
    WHERE s.service_date >= $start AND s.service_date < $end
        AND pbi_unit_has_grid($level, $unit, g.grid_id, pbi_grid_path(g.district, g.street, g.community))
    ORDER BY s.service_date DESC, s.record_id
    LIMIT $limit)
SELECT l.service_date, l.grid_id, n.name, l.category, l.hours, l.beneficiaries, l.rating, l.description
FROM latest l
LEFT JOIN (
    SELECT member_no, arg_max(name, as_of) AS name FROM members
    WHERE member_no IN (SELECT member_no FROM latest) GROUP BY member_no) n USING (member_no)
ORDER BY l.service_date DESC, l.record_id

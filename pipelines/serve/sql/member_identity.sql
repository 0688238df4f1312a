-- Who a member is now (their latest roster row), if that row's grid is within the scope: name
-- (unmasked: the caller masks), gender, category, branch, grid, and ID number and phone in the
-- masked forms the warehouse holds.
SELECT m.name, m.gender, m.member_category, m.branch, m.grid_id, m.id_masked, m.phone_masked, m.as_of
FROM (SELECT * FROM members WHERE member_no = $member ORDER BY as_of DESC LIMIT 1) m
JOIN grids g USING (grid_id)
WHERE pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))

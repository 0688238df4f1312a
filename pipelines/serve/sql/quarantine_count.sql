-- Quarantined rows within the scope: a scope holds the rows whose staged row names one of its
-- grids; rows naming no known grid (meetings, unknown grids) belong to the city only.
SELECT count(*) AS n FROM quarantine q
WHERE $scope = '' OR json_extract_string(q.staged, '$.grid_id') IN (
    SELECT grid_id FROM grids g WHERE pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community)))

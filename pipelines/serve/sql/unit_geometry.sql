-- The map boundaries (GeoJSON text) and bounding boxes of a level's units within the scope.
SELECT u.unit_id, u.geometry, u.min_lon, u.min_lat, u.max_lon, u.max_lat
FROM unit_geometry u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
WHERE u.level = $level AND pbi_covers($scope, pbi_unit_path(u.level, u.unit_id, g.district, g.street, g.community))
ORDER BY u.unit_id

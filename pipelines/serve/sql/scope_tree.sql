-- District, street and community of every community within the scope that has grids.
SELECT DISTINCT district, street, community FROM grids g
WHERE pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))
ORDER BY ALL

-- The grids that have a boundary, with their place: what pipelines/load/geometry.py unites
-- into the map of every unit (marts/unit_geometry.sql).
SELECT grid_id, district, street, community, geometry
FROM grid_geometry JOIN grids USING (grid_id)
ORDER BY grid_id;

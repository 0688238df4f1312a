-- Each grid's place: its community's path.
SELECT grid_id, pbi_grid_path(g.district, g.street, g.community) AS path FROM grids g

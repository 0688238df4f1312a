-- District, street and community of the first community in sort order (for demo users).
SELECT district, street, community FROM grids ORDER BY ALL LIMIT 1

-- Every district, street and community path that has grids: the units a user can be bound to.
SELECT DISTINCT unnest([district, district || '/' || street, district || '/' || street || '/' || community]) AS path
FROM grids

-- The boundaries of the other units of a level under the same parent ($parent; '' for the
-- city) as the unit $unit.
SELECT geometry FROM unit_geometry
WHERE level = $level AND unit_id <> $unit AND ($parent = '' OR starts_with(unit_id, $parent || '/'))
ORDER BY unit_id

-- A unit's grids, and its counted members, services and demands of a quarter (key $pkey, days
-- $start up to $end).
WITH unit_grids AS (
    SELECT grid_id FROM grids g
    WHERE pbi_unit_has_grid($level, $unit, g.grid_id, pbi_grid_path(g.district, g.street, g.community)))
SELECT
    (SELECT count(*) FROM grids WHERE grid_id IN (SELECT grid_id FROM unit_grids)) AS grids,
    (SELECT count(*) FROM member_scores WHERE run_id = $run AND pkey = $pkey
        AND grid_no IN (SELECT grid_no FROM grid_registry WHERE grid_id IN (SELECT grid_id FROM unit_grids))) AS members,
    (SELECT count(*) FROM services WHERE service_date >= $start AND service_date < $end
        AND grid_id IN (SELECT grid_id FROM unit_grids)) AS services,
    (SELECT count(*) FROM demands WHERE reported_at >= $start AND reported_at < $end
        AND grid_id IN (SELECT grid_id FROM unit_grids)) AS demands

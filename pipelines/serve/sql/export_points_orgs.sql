-- The 正能量值 export of reporting organisations (methodology v1.2) of a run and period: their
-- district, reported members, points, 人均 and ranks (empty when not ranked: fewer members than
-- the methodology's minimum). Within a scope: the organisations whose district is in it, or
-- that report a member counted in the period to a grid in it. Ranked ones first.
-- An organisation based in a district outside the scope: its district and its rank there are
-- left empty, as on the 双报到 page.
SELECT o.period, o.org_id, o.org_name,
    CASE WHEN pbi_covers($scope, o.district) THEN o.district END AS district,
    o.members, o.points, o.points_per_member, o.city_rank,
    CASE WHEN pbi_covers($scope, o.district) THEN o.district_rank END AS district_rank
FROM org_points o
WHERE o.run_id = $run AND o.period = $period
    AND ($scope = '' OR pbi_covers($scope, o.district) OR EXISTS (
        SELECT 1 FROM member_points p
            JOIN grid_registry gr USING (grid_no)
            JOIN grids g ON g.grid_id = gr.grid_id
        WHERE p.run_id = o.run_id AND p.reporting_org_id = o.org_id AND p.pkey // 10 = $pkey // 10
            AND ($pkey % 10 = 0 OR p.pkey = $pkey)
            AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community))))
ORDER BY o.city_rank NULLS LAST, o.points_per_member DESC NULLS LAST, o.org_id

-- Counted members within the scope in a quarter (key $pkey) per 5-point band of the vanguard score.
WITH scoped AS (
    SELECT m.score
    FROM member_scores m JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
    WHERE m.run_id = $run AND m.pkey = $pkey AND pbi_covers($scope, pbi_grid_path(g.district, g.street, g.community)))
SELECT least(floor(score / 5) * 5, 95) AS band, count(*) AS members FROM scoped GROUP BY band ORDER BY band

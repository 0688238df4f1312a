-- The units of a period within the scope whose grade, composite rank or list (红榜/黑榜) differs
-- between the runs $old and $new, with both values (a unit in one run only: NULL on the other
-- side), level by level in the order $levels, then by the new rank.
WITH pairs AS (
    SELECT coalesce(n.level, o.level) AS level, coalesce(n.unit_id, o.unit_id) AS unit_id,
        coalesce(n.unit_name, o.unit_name) AS unit_name,
        o.grade AS old_grade, n.grade AS new_grade,
        o.composite_rank AS old_rank, n.composite_rank AS new_rank,
        o."list" AS old_list, n."list" AS new_list,
        o.composite AS old_composite, n.composite AS new_composite
    FROM (SELECT * FROM unit_scores WHERE run_id = $old AND period = $period) o
    FULL OUTER JOIN (SELECT * FROM unit_scores WHERE run_id = $new AND period = $period) n
        ON o.level = n.level AND o.unit_id = n.unit_id
), changes AS (
    SELECT p.*, p.old_grade IS DISTINCT FROM p.new_grade AS grade_changed,
        p.old_rank IS DISTINCT FROM p.new_rank AS rank_changed,
        p.old_list IS DISTINCT FROM p.new_list AS list_changed,
        pbi_unit_path(p.level, p.unit_id, g.district, g.street, g.community) AS path
    FROM pairs p LEFT JOIN grids g ON p.level = 'grid' AND g.grid_id = p.unit_id
)
SELECT level, unit_id, unit_name, old_grade, new_grade, old_rank, new_rank, old_list, new_list,
    old_composite, new_composite, grade_changed, rank_changed, list_changed
FROM changes
WHERE (grade_changed OR rank_changed OR list_changed) AND pbi_covers($scope, path)
ORDER BY list_position($levels, level), new_rank NULLS LAST, old_rank NULLS LAST, unit_id

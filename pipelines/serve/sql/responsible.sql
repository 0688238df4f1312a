-- The organisation answerable for each grid or community of a level: a grid's branch
-- (网格党支部), a community's committee (社区党委, the parent of its grids' branches).
WITH branches AS (
    SELECT b.grid_id, b.org_id, b.org_name, b.parent_org_id, pbi_grid_path(g.district, g.street, g.community) AS community_path
    FROM orgs b JOIN grids g USING (grid_id) WHERE b.org_type = '网格党支部'),
by_grid AS (
    SELECT 'grid' AS level, grid_id AS unit_id, string_agg(org_name, '、' ORDER BY org_id) AS organisation
    FROM branches GROUP BY grid_id),
by_community AS (
    SELECT 'community' AS level, b.community_path AS unit_id,
        string_agg(DISTINCT c.org_name, '、' ORDER BY c.org_name) AS organisation
    FROM branches b JOIN orgs c ON c.org_id = b.parent_org_id AND c.org_type = '社区党委'
    GROUP BY b.community_path)
SELECT unit_id, organisation FROM (SELECT * FROM by_grid UNION ALL SELECT * FROM by_community) WHERE level = $level

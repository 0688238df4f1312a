-- A unit of the published warehouse, written as in score exports (grid: 网格编码; community:
-- 区县/街道/社区; street: 区县/街道; district: 区县; city: 全市), as pipelines/sql/indices/
-- int_unit_grids.sql names them: its name and its place for scopes ('' the city, a grid's
-- community path). No row: no such unit at that level.
SELECT unit_name, unit_path FROM (
    SELECT 'grid' AS level, grid_id AS unit_id, grid_name AS unit_name,
        district || '/' || street || '/' || community AS unit_path FROM grids
    UNION ALL SELECT 'community', district || '/' || street || '/' || community, community,
        district || '/' || street || '/' || community FROM grids
    UNION ALL SELECT 'street', district || '/' || street, street, district || '/' || street FROM grids
    UNION ALL SELECT 'district', district, district, district FROM grids
    UNION ALL SELECT 'city', '全市', '全市', '' FROM grids)
WHERE level = $level AND unit_id = $unit
ORDER BY unit_name
LIMIT 1

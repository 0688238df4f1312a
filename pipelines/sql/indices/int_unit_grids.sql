-- Every unit at every level and the grids it holds. Unit ids as in the score export:
-- grid: 网格编码; community: 区县/街道/社区; street: 区县/街道; district: 区县; city: 全市.
CREATE OR REPLACE TEMP TABLE int_unit_grids AS
SELECT 'grid' AS level, grid_id AS unit_id, grid_name AS unit_name, grid_type AS peer_class, grid_id FROM grids
UNION ALL
SELECT 'community', district || '/' || street || '/' || community, community, NULL, grid_id FROM grids
UNION ALL
SELECT 'street', district || '/' || street, street, NULL, grid_id FROM grids
UNION ALL
SELECT 'district', district, district, NULL, grid_id FROM grids
UNION ALL
SELECT 'city', '全市', '全市', NULL, grid_id FROM grids;

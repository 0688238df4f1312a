-- The grid types that grids are ranked within.
SELECT DISTINCT peer_class FROM unit_scores
WHERE run_id = $run AND level = 'grid' AND peer_class IS NOT NULL
ORDER BY peer_class

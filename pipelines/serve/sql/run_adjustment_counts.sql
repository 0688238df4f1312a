-- How many adjustments (加分, 扣分, 一票否决) each run applied, over all its periods.
SELECT run_id, count(*) AS adjustments FROM run_adjustments GROUP BY run_id

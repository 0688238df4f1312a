-- Each period of a run: its kind (quarter or year), whether it was over when the run was
-- computed (a year still running is year-to-date) and how many quarters with data it holds.
SELECT period, kind, complete, quarters FROM run_periods WHERE run_id = $run ORDER BY kind = 'year', period

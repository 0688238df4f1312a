-- The same raw values in long form (period, level, unit_id, code, value), one row per value
-- present: for checks and ad-hoc reading (the marts store them wide, indicator_scores).
CREATE OR REPLACE TEMP VIEW int_indicator_values AS
SELECT period, level, unit_id, code, value
FROM (UNPIVOT int_indicator_wide ON F1, F2, F3, F4, F5, F6, V5, V6, S1, S2, S3, S4 INTO NAME code VALUE value);

-- Grades (分类定级) on the adjusted composite: the cut-offs ({grade_case}), then the cap rule
-- (satisfaction below the threshold: at most {cap_grade}), then the veto (一票否决: the lowest
-- grade, {lowest_grade}, whatever C'). Quotas (int_grade_quotas.sql) come after, in place.
CREATE OR REPLACE TEMP TABLE int_graded_scores AS
WITH graded AS (
    SELECT *, {grade_case} AS raw_grade FROM int_adjusted_scores
)
SELECT * EXCLUDE (raw_grade),
    CASE WHEN composite IS NULL THEN NULL
         WHEN veto THEN {lowest_grade}
         WHEN satisfaction < {cap_below} AND {grade_order}(raw_grade) < {grade_order}({cap_grade}) THEN {cap_grade}
         ELSE raw_grade END AS grade
FROM graded;

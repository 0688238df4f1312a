-- Indicator scores from raw values (eng_values: unit, grp, code, value), per the tree
-- (eng_nodes). Direction −1 turns "lower is better" around before scoring. Methods:
--   goalposts: clip((x − lo) / (hi − lo), 0, 1), reversed for direction −1, onto [out_lo, out_hi]
--   minmax:    (x·d − min) / (max − min) over the units of a group, onto [out_lo, out_hi]
--   zscore:    (x·d − mean) / sd (sd with n − 1) over the units of a group
--   none:      x·d
CREATE OR REPLACE TEMP TABLE eng_scores AS
WITH x AS (
    SELECT v.unit, v.grp, v.code, v.value * n.direction AS xd, v.value, n.*
    FROM eng_values v JOIN eng_nodes n USING (code)
    WHERE n.level = 1
), stats AS (
    SELECT *,
        min(xd) OVER g AS g_min, max(xd) OVER g AS g_max, avg(xd) OVER g AS g_mean, stddev_samp(xd) OVER g AS g_sd
    FROM x WINDOW g AS (PARTITION BY grp, code)
)
SELECT unit, grp, code, 1 AS level,
    CASE normalise
        WHEN 'goalposts' THEN out_lo + (out_hi - out_lo) * CASE WHEN direction = 1
            THEN least(greatest((value - lo) / (hi - lo), 0), 1)
            ELSE 1 - least(greatest((value - lo) / (hi - lo), 0), 1) END
        WHEN 'minmax' THEN out_lo + (out_hi - out_lo) * (xd - g_min) / nullif(g_max - g_min, 0)
        WHEN 'zscore' THEN (xd - g_mean) / nullif(g_sd, 0)
        ELSE xd
    END AS score,
    1.0 AS share
FROM stats
WHERE value IS NOT NULL;

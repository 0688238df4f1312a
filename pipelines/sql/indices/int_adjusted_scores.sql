-- The adjusted composite C' = clip(C + B + D, 0, 100) of each unit and period with entries
-- against it (its own level, unit and period: nothing flows to the units above); C' is
-- missing where C is, and C where no points were entered. composite_raw keeps C.
-- Fortress, vanguard and service are never adjusted.
CREATE OR REPLACE TEMP TABLE int_adjusted_scores AS
SELECT s.* EXCLUDE (composite),
    CASE WHEN coalesce(a.has_points, false) AND s.composite IS NOT NULL
         THEN least(greatest(s.composite + a.adjustment, 0.0), 100.0) ELSE s.composite END AS composite,
    s.composite AS composite_raw, coalesce(a.adjustment, 0.0) AS adjustment, coalesce(a.veto, false) AS veto
FROM int_index_scores s
LEFT JOIN int_adjustment_totals a ON a.period = s.period AND a.level = s.level AND a.unit_id = s.unit_id;

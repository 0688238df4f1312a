-- The engine's scores per unit and period, one row per unit: the three indices, the composite,
-- and the satisfaction R (S4's raw value) for the cap rule. Units of the map with no score
-- at all still get a row (all missing), so every unit appears. Quarters, then the years that
-- have a quarter in the data (int_year_engine), whose satisfaction pools the year's records:
-- S4's formula over the sums of its quarters.
CREATE OR REPLACE TEMP TABLE int_index_scores AS
WITH units AS (
    SELECT DISTINCT level, unit_id, unit_name, peer_class FROM int_unit_grids
), years AS (
    SELECT DISTINCT left(period, 4) AS period FROM int_periods
), year_satisfaction AS (
    SELECT left(period, 4) AS period, level, unit_id,
        (sum(S4_sum) + {satisfaction_prior_weight} * {satisfaction_prior_mean})
            / (sum(S4_n) + {satisfaction_prior_weight}) AS satisfaction
    FROM int_indicator_wide GROUP BY ALL
)
SELECT p.period, u.level, u.unit_id, u.unit_name, u.peer_class,
    e.fortress, e.vanguard, e.service, e.composite, w.S4 AS satisfaction
FROM units u CROSS JOIN int_periods p
LEFT JOIN int_unit_engine e ON e.level = u.level AND e.unit_id = u.unit_id AND e.period = p.period
LEFT JOIN int_indicator_wide w ON w.level = u.level AND w.unit_id = u.unit_id AND w.period = p.period
UNION ALL
SELECT y.period, u.level, u.unit_id, u.unit_name, u.peer_class,
    e.fortress, e.vanguard, e.service, e.composite, s.satisfaction
FROM units u CROSS JOIN years y
LEFT JOIN int_year_engine e ON e.level = u.level AND e.unit_id = u.unit_id AND e.period = y.period
LEFT JOIN year_satisfaction s ON s.level = u.level AND s.unit_id = u.unit_id AND s.period = y.period;

-- The engine's scores per unit and period, one row per unit: the three indices, the composite,
-- and the satisfaction R (S4's raw value) for the cap rule. Units of the map with no score
-- at all still get a row (all missing), so every unit appears.
CREATE OR REPLACE TEMP TABLE int_index_scores AS
WITH units AS (
    SELECT DISTINCT level, unit_id, unit_name, peer_class FROM int_unit_grids
)
SELECT p.period, u.level, u.unit_id, u.unit_name, u.peer_class,
    e.fortress, e.vanguard, e.service, e.composite, w.S4 AS satisfaction
FROM units u CROSS JOIN int_periods p
LEFT JOIN int_unit_engine e ON e.level = u.level AND e.unit_id = u.unit_id AND e.period = p.period
LEFT JOIN int_indicator_wide w ON w.level = u.level AND w.unit_id = u.unit_id AND w.period = p.period;

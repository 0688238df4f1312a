-- The engine's scores per unit and period, one row per unit: the three indices, the composite,
-- and the satisfaction R (S4's raw value) for the cap rule. Units of the map with no score
-- at all still get a row (all missing), so every unit appears.
CREATE OR REPLACE TEMP TABLE int_index_scores AS
WITH s AS (
    SELECT split_part(unit, '|', 1) AS level, split_part(unit, '|', 2) AS unit_id, split_part(grp, '|', 1) AS period,
        max(score) FILTER (WHERE code = 'fortress') AS fortress,
        max(score) FILTER (WHERE code = 'vanguard') AS vanguard,
        max(score) FILTER (WHERE code = 'service') AS service,
        max(score) FILTER (WHERE code = 'composite') AS composite
    FROM eng_scores GROUP BY ALL
), units AS (
    SELECT DISTINCT level, unit_id, unit_name, peer_class FROM int_unit_grids
)
SELECT p.period, u.level, u.unit_id, u.unit_name, u.peer_class, s.fortress, s.vanguard, s.service, s.composite,
    r.value AS satisfaction
FROM units u CROSS JOIN int_periods p
LEFT JOIN s ON s.level = u.level AND s.unit_id = u.unit_id AND s.period = p.period
LEFT JOIN int_indicator_values r ON r.level = u.level AND r.unit_id = u.unit_id AND r.period = p.period
    AND r.code = 'S4';

-- Adjustments (methodology v1.1) per level, unit and period, from the entries the run applies
-- (int_adjustment_entries, one row each): B = min(Σ bonus, {max_bonus}), D = max(Σ deduction,
-- −{max_deduction}); adjustment = B + D; veto if any entry is one. has_points: a bonus or
-- deduction was entered (only then is the composite clipped to [0, 100]).
CREATE OR REPLACE TEMP TABLE int_adjustment_totals AS
SELECT period, level, unit_id,
    least(coalesce(sum(points) FILTER (WHERE kind = {bonus}), 0), {max_bonus})
        + greatest(coalesce(sum(points) FILTER (WHERE kind = {deduction}), 0), -{max_deduction}) AS adjustment,
    bool_or(kind = {veto}) AS veto,
    bool_or(kind IN ({bonus}, {deduction})) AS has_points
FROM int_adjustment_entries
GROUP BY ALL;

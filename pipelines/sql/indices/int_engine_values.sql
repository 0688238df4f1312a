-- Raw indicator values as the engine's input: unit = level|unit_id, group = period|level.
CREATE OR REPLACE TEMP VIEW int_engine_values AS
SELECT level || '|' || unit_id AS unit, period || '|' || level AS grp, code, value FROM int_indicator_values;

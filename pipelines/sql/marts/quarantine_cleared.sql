-- Every retried row of {kind} was checked again (stg_retried.sql), so its old quarantine
-- entry goes; quarantine_rows.sql records the ones failing still. Exact duplicates stay, and
-- so do lines that could not be read as a row (no staged row: reading.py recorded them).
DELETE FROM quarantine WHERE kind = '{kind}' AND rule <> 'duplicate_row' AND staged IS NOT NULL;

-- Every retried row of {kind} was checked again (stg_retried.sql), so its old quarantine
-- entry goes; quarantine_rows.sql records the ones failing still. Exact duplicates stay.
DELETE FROM quarantine WHERE kind = '{kind}' AND rule <> 'duplicate_row';

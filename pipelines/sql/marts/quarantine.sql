-- Rows kept aside, as they stand now: where (file, row as a user sees it), what (column,
-- value with ID numbers masked) and why (rule; reason in Chinese with the English). `staged`
-- holds the staged row (no clear ID numbers) so it can be retried on every later load.
CREATE TABLE IF NOT EXISTS quarantine (
    file_id INTEGER, row INTEGER, kind VARCHAR, field VARCHAR, header VARCHAR, value VARCHAR, rule VARCHAR,
    reason VARCHAR, staged JSON, first_batch INTEGER, last_batch INTEGER, PRIMARY KEY (file_id, row));

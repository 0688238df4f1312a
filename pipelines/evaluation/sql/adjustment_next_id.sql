-- The id of the next entry (taken under the register's writer gate, so never twice).
SELECT coalesce(max(id), 0) + 1 AS id FROM adjustments

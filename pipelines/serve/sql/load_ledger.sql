-- Every file of every load batch: rows read, loaded, quarantined, unchanged; newest batch first.
SELECT batch_id, file_name, kind, rows_read, loaded, quarantined, unchanged, status, loaded_at
FROM load_ledger
ORDER BY batch_id DESC, file_id

-- The log's last row: (seq, hash), (0, '') when empty.
SELECT coalesce(max(seq), 0), coalesce(arg_max(row_hash, seq), '') FROM audit_log

-- Every row with its content as hashed, in order, for verifying the chain.
SELECT seq, row_hash, event, audit_content(seq, logged_at, actor, event, subject, what, scope, row_count, detail, client)
FROM audit_log
ORDER BY seq

-- One row's content as hashed: every column, NULL told apart from '', the time as microseconds
-- (independent of the session's time zone).
CREATE OR REPLACE TEMP MACRO audit_content(
    seq, logged_at, actor, event, subject, what, scope, row_count, detail, client) AS
    concat_ws(chr(31), seq, epoch_us(logged_at), actor, event, coalesce(subject, chr(0)), coalesce(what, chr(0)),
              coalesce(scope, chr(0)), coalesce(row_count::VARCHAR, chr(0)), coalesce(detail, chr(0)),
              coalesce(client, chr(0)))

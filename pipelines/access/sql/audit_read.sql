-- Events newest first, filtered by time, actor or subject, event and a literal text.
SELECT seq, logged_at, actor, event, subject, what, scope, row_count, detail, client FROM audit_log
WHERE ($since::TIMESTAMPTZ IS NULL OR logged_at >= $since) AND ($until::TIMESTAMPTZ IS NULL OR logged_at < $until)
  AND (len($actors::VARCHAR[]) = 0 OR list_contains($actors::VARCHAR[], actor)
       OR list_contains($actors::VARCHAR[], subject))
  AND (len($events::VARCHAR[]) = 0 OR list_contains($events::VARCHAR[], event))
  AND ($text = '' OR contains(concat_ws(' ', what, scope, detail, subject), $text))
ORDER BY seq DESC
LIMIT $limit

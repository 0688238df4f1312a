-- A new row's content, computed by the same macro over values typed as the table's columns.
SELECT audit_content(seq, logged_at, actor, event, subject, what, scope, row_count, detail, client)
FROM (SELECT $seq::BIGINT AS seq, $logged_at::TIMESTAMPTZ AS logged_at, $actor::VARCHAR AS actor,
             $event::VARCHAR AS event, $subject::VARCHAR AS subject, $what::VARCHAR AS what,
             $scope::VARCHAR AS scope, $row_count::BIGINT AS row_count, $detail::VARCHAR AS detail,
             $client::VARCHAR AS client)

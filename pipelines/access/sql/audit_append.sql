-- One row, its hash already computed (the only write to audit_log).
INSERT INTO audit_log
VALUES ($seq, $logged_at::TIMESTAMPTZ, $actor, $event, $subject, $what, $scope, $row_count::BIGINT, $detail, $client,
        $row_hash)

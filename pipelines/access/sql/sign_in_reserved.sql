-- Attempts reserved for $name within $lockout before $at, since its last $resets event:
-- how many, and the first one's time (microseconds).
WITH reset AS (
    SELECT max(logged_at) AS t FROM audit_log
    WHERE subject = $name AND list_contains($resets::VARCHAR[], event) AND logged_at <= $at)
SELECT count(*), epoch_us(min(a.tried_at)) FROM sign_in_attempts a, reset
WHERE a.subject = $name AND a.tried_at > $at::TIMESTAMPTZ - $lockout::INTERVAL AND a.tried_at <= $at
  AND a.tried_at >= coalesce(reset.t, '-infinity'::TIMESTAMPTZ)

-- Lockouts in force at $at: $failures failed sign-ins within $lockout, not followed by one of
-- the $resets events, lock the name for $lockout from the last of them. $names NULL: everyone.
WITH reset AS (
    SELECT subject, max(logged_at) AS t FROM audit_log
    WHERE list_contains($resets::VARCHAR[], event) AND logged_at <= $at GROUP BY subject),
failures AS (
    SELECT a.subject, a.logged_at AS t,
           count(*) OVER (PARTITION BY a.subject ORDER BY a.logged_at
                          RANGE BETWEEN $lockout::INTERVAL PRECEDING AND CURRENT ROW) AS run
    FROM audit_log a LEFT JOIN reset r USING (subject)
    WHERE a.event = 'login_failed' AND a.logged_at <= $at
      AND a.logged_at > coalesce(r.t, '-infinity'::TIMESTAMPTZ)
      AND ($names::VARCHAR[] IS NULL OR list_contains($names::VARCHAR[], a.subject)))
SELECT subject, epoch_us(max(t) + $lockout::INTERVAL) AS until FROM failures WHERE run >= $failures
GROUP BY subject HAVING max(t) + $lockout::INTERVAL > $at

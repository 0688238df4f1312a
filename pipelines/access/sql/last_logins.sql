-- Each user's latest successful sign-in (microseconds).
SELECT subject, epoch_us(max(logged_at)) FROM audit_log WHERE event = 'login_ok' GROUP BY subject

-- Reservations older than a day no longer count towards anything.
DELETE FROM sign_in_attempts WHERE tried_at < $at::TIMESTAMPTZ - INTERVAL 1 DAY

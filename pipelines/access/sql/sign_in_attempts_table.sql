-- Password checks reserved by reserve(): bookkeeping for the lockout, not audit events (those
-- are login_failed / login_ok); rows older than a day are pruned.
CREATE TABLE IF NOT EXISTS sign_in_attempts (subject VARCHAR NOT NULL, tried_at TIMESTAMPTZ NOT NULL)

-- A decision about an entry: approve, reject or revoke.
INSERT INTO adjustment_decisions VALUES ($id, $decision, $by, $at, $reason)

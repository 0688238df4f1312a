-- The stored tickets' content hashes as int_outcome.sql computes them now: every column of
-- int_demands_typed.sql, in its order (claimed_by_org, NULL here, last).
UPDATE demands SET _content = hash(ticket_id, grid_id, category, reported_at, claimed_by_key, resolved_at,
    resolved_level, satisfaction, description, claimed_by_org);

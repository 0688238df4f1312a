-- Each counted member's vanguard score and tier per period: the engine's member tree (the
-- methodology's components, compiled to SQL over int_member_values) with the tier cut-offs,
-- written straight into the member_scores mart under this run's id (455k rows at city scale:
-- written once, as numbers), and read back with labels as int_member_scores.
INSERT INTO run_tiers VALUES {run_tiers};
INSERT INTO member_scores
SELECT {run_id}, pkey, member_no, grid_no, s, h, c, r_bar, {member_score}, {tier_case}
FROM ({member_tree});
CREATE OR REPLACE TEMP VIEW int_member_scores AS
SELECT period, pkey, member_no, grid_id, services AS s, hours AS h, claims AS c, rating AS r_bar, score, tier
FROM member_scores JOIN run_tiers USING (run_id, tier_no) JOIN int_periods USING (pkey)
    JOIN grid_registry USING (grid_no)
WHERE run_id = {run_id};

-- Each counted member's vanguard score and tier per period: the engine's member tree (the
-- methodology's components, compiled to SQL over int_member_values) with the tier cut-offs,
-- as numbers (quarter key, grid number, tier position): the rows of the member_scores mart
-- (455k a run at city scale), and what the 正能量值 points need beside (ratings_5,
-- reporting_org_id: not in that mart). They are kept in the in-memory database `work`, shared with
-- the computation's other connection, which writes them to the mart while this one goes on.
-- int_member_scores shows them with labels; int_run_tiers holds the run's tiers (the
-- computation writes them into the run_tiers mart).
CREATE OR REPLACE TEMP TABLE int_run_tiers AS
SELECT * FROM (VALUES {run_tiers}) t(run_id, tier_no, tier, min_score);
CREATE OR REPLACE TABLE work.int_member_rows AS
SELECT {run_id} AS run_id, pkey, member_no, grid_no, s AS services, h AS hours, c AS claims, r_bar AS rating,
    {member_score} AS score, {tier_case} AS tier_no, r5 AS ratings_5, reporting_org_id
FROM ({member_tree});
CREATE OR REPLACE TEMP VIEW int_member_scores AS
SELECT period, pkey, member_no, grid_id, services AS s, hours AS h, claims AS c, rating AS r_bar, score, tier
FROM work.int_member_rows JOIN int_run_tiers USING (run_id, tier_no) JOIN int_periods USING (pkey)
    JOIN grid_registry USING (grid_no);

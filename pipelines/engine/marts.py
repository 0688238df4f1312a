"""The engine's marts: what the dashboard and exports read. Every row carries the run id of
the computation that produced it; `runs` records the methodology (hash and text) and the
data snapshot of each run, so a published quarter can be shown again exactly as it was.

Member scores (455,000 rows a run at city scale) are stored as numbers: the quarter as its
key (20254), the grid as its number in the warehouse's grid_registry (numbers are given once
and never change) and the tier as its position in the run's tiers (run_tiers);
member_scores_v shows them with labels (read it with the warehouse attached).

Indicator values and scores are stored one row per unit (a value and a score column per
indicator: 10,000 rows a run at city scale rather than 115,000); indicator_scores_long shows
them one row per indicator, as drilldowns read them.

Methodology v1.1 adds years (period '2025', member pkey 20250), the run's periods
(run_periods: kind, whether over when computed, quarters with data) and the adjustments each
run applied (run_adjustments, copied so a past run reproduces after a revocation).
unit_scores gains composite_raw, adjustment and veto at the end (`composite` is the adjusted
composite); a results file written before gets them here, its rows unadjusted.

Methodology v1.2 adds F6 (indicator_scores gains F6 and F6_score, at the end of an older
file's table: rows are written by name) and the 正能量值 points: member_points (a row per
counted member and quarter or year, like member_scores: numbers for the quarter key, member
and grid; the tier as its name) and org_points (a row per reporting organisation and period).
runs.engine says which engine computed a run: 'duckdb' (pipelines/engine/compute.py) or
'spark' (pipelines/spark/compute.py)."""

# Every indicator the domain SQL computes, in display order (an indicator the methodology
# drops keeps its raw value, with no score).
INDICATORS = ("F1", "F2", "F3", "F4", "F5", "F6", "V5", "V6", "S1", "S2", "S3", "S4")
# The entries a run applied, as the register's in_force() gives them (run_adjustments holds
# them with the run id first): compute, the register and the table read this one list.
ADJUSTMENT_COLUMNS = {
    "adjustment_id": "INTEGER",
    "level": "VARCHAR",
    "unit_id": "VARCHAR",
    "period": "VARCHAR",
    "kind": "VARCHAR",
    "points": "DOUBLE",
    "reason": "VARCHAR",
    "evidence_name": "VARCHAR",
    "evidence_sha256": "VARCHAR",
    "entered_by": "VARCHAR",
    "entered_at": "TIMESTAMP",
    "approved_by": "VARCHAR",
    "approved_at": "TIMESTAMP",
}
_APPLIED = ", ".join(f"{c} {t}" for c, t in ADJUSTMENT_COLUMNS.items())
_WIDE = ", ".join(f"{c} DOUBLE, {c}_score DOUBLE" for c in INDICATORS)
_PAIRS = ", ".join(f"({c}, {c}_score) AS {c}" for c in INDICATORS)

MARTS = f"""
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, computed_at TIMESTAMP, methodology_version VARCHAR, config_hash VARCHAR,
    config_text VARCHAR, data_batch INTEGER, data_files VARCHAR, data_digest VARCHAR, engine VARCHAR DEFAULT 'duckdb');
-- The engine that computed the run (issue #12: 'duckdb' or 'spark'); runs before it were DuckDB's.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS engine VARCHAR DEFAULT 'duckdb';
CREATE TABLE IF NOT EXISTS unit_scores (
    run_id INTEGER, period VARCHAR, level VARCHAR, unit_id VARCHAR, unit_name VARCHAR, peer_class VARCHAR,
    fortress DOUBLE, vanguard DOUBLE, service DOUBLE, composite DOUBLE, satisfaction DOUBLE, grade VARCHAR,
    fortress_rank INTEGER, vanguard_rank INTEGER, service_rank INTEGER, composite_rank INTEGER, peer_rank INTEGER,
    ranked_units INTEGER, rank_change INTEGER, list VARCHAR, yellow_card BOOLEAN, rank_q05 INTEGER, rank_q95 INTEGER,
    composite_raw DOUBLE, adjustment DOUBLE, veto BOOLEAN);
-- A results file from before v1.1: its rows are unadjusted (the UPDATE finds nothing once done).
ALTER TABLE unit_scores ADD COLUMN IF NOT EXISTS composite_raw DOUBLE;
ALTER TABLE unit_scores ADD COLUMN IF NOT EXISTS adjustment DOUBLE DEFAULT 0;
ALTER TABLE unit_scores ADD COLUMN IF NOT EXISTS veto BOOLEAN DEFAULT false;
UPDATE unit_scores SET composite_raw = composite WHERE composite_raw IS NULL AND composite IS NOT NULL;
CREATE TABLE IF NOT EXISTS run_periods (
    run_id INTEGER, period VARCHAR, kind VARCHAR, complete BOOLEAN, quarters INTEGER);
CREATE TABLE IF NOT EXISTS run_adjustments (run_id INTEGER, {_APPLIED});
CREATE TABLE IF NOT EXISTS indicator_scores (
    run_id INTEGER, period VARCHAR, level VARCHAR, unit_id VARCHAR, {_WIDE});
-- A results file from before v1.2: F6 is missing in its runs.
ALTER TABLE indicator_scores ADD COLUMN IF NOT EXISTS F6 DOUBLE;
ALTER TABLE indicator_scores ADD COLUMN IF NOT EXISTS F6_score DOUBLE;
CREATE OR REPLACE VIEW indicator_scores_long AS
SELECT run_id, period, level, unit_id, code, value, score
FROM (UNPIVOT indicator_scores ON {_PAIRS} INTO NAME code VALUE value, score)
WHERE value IS NOT NULL;
CREATE TABLE IF NOT EXISTS member_scores (
    run_id INTEGER, pkey INTEGER, member_no INTEGER, grid_no INTEGER, services INTEGER, hours DOUBLE,
    claims INTEGER, rating DOUBLE, score DOUBLE, tier_no UTINYINT);
CREATE TABLE IF NOT EXISTS member_points (
    run_id INTEGER, pkey INTEGER, member_no INTEGER, grid_no INTEGER, reporting_org_id VARCHAR, services INTEGER,
    hours DOUBLE, claims INTEGER, ratings_5 INTEGER, points_raw DOUBLE, points DOUBLE, points_ytd DOUBLE, tier VARCHAR);
CREATE TABLE IF NOT EXISTS org_points (
    run_id INTEGER, period VARCHAR, org_id VARCHAR, org_name VARCHAR, district VARCHAR, members INTEGER,
    services INTEGER, hours DOUBLE, claimed_demands INTEGER, points DOUBLE, points_per_member DOUBLE, ranked BOOLEAN,
    city_rank INTEGER, district_rank INTEGER);
CREATE TABLE IF NOT EXISTS run_tiers (run_id INTEGER, tier_no UTINYINT, tier VARCHAR, min_score DOUBLE);
CREATE OR REPLACE VIEW member_scores_v AS
SELECT s.run_id,
    CAST(s.pkey // 10 AS VARCHAR) || CASE WHEN s.pkey % 10 = 0 THEN '' ELSE 'Q' || CAST(s.pkey % 10 AS VARCHAR) END
        AS period, s.member_no,
    g.grid_id, s.services, s.hours, s.claims, s.rating, s.score, t.tier
FROM member_scores s JOIN run_tiers t USING (run_id, tier_no) JOIN grid_registry g USING (grid_no);
-- Early warnings: the composite fell in each of the last two quarters (by more than rounding
-- noise), or a yellow card this quarter. Quarters only (a year's label has no Q).
CREATE OR REPLACE VIEW unit_warnings AS
SELECT run_id, period, level, unit_id, unit_name, composite, prev1, prev2, yellow_card,
    coalesce(composite < prev1 - 1e-9 AND prev1 < prev2 - 1e-9, false) AS declined_twice
FROM (SELECT *, lag(composite) OVER w AS prev1, lag(composite, 2) OVER w AS prev2 FROM unit_scores
      WHERE contains(period, 'Q')
      WINDOW w AS (PARTITION BY run_id, level, unit_id ORDER BY period));
"""

"""A results file written before methodology v1.1 gets the new columns and tables when the
engine next opens it: its rows read as unadjusted (composite_raw = composite, adjustment 0,
no veto). Early warnings stay quarterly."""

from __future__ import annotations

import duckdb

from pipelines.engine.marts import MARTS

V1_UNIT_SCORES = """CREATE TABLE unit_scores (
    run_id INTEGER, period VARCHAR, level VARCHAR, unit_id VARCHAR, unit_name VARCHAR, peer_class VARCHAR,
    fortress DOUBLE, vanguard DOUBLE, service DOUBLE, composite DOUBLE, satisfaction DOUBLE, grade VARCHAR,
    fortress_rank INTEGER, vanguard_rank INTEGER, service_rank INTEGER, composite_rank INTEGER, peer_rank INTEGER,
    ranked_units INTEGER, rank_change INTEGER, list VARCHAR, yellow_card BOOLEAN, rank_q05 INTEGER, rank_q95 INTEGER)"""


def _row(period: str, composite: float | None) -> tuple:
    return (1, period, "grid", "g1", "g1", None, 50.0, 50.0, 50.0, composite, 4.8, None) + (None,) * 8 + (False, 1, 1)


def test_an_older_results_file_is_migrated_unadjusted():
    con = duckdb.connect()
    con.execute("CREATE TABLE grid_registry (grid_no INTEGER, grid_id VARCHAR)")
    con.execute(V1_UNIT_SCORES)
    con.executemany(
        "INSERT INTO unit_scores VALUES (" + ", ".join(["?"] * 23) + ")",
        [_row("2025Q1", 70.0), _row("2025Q2", 60.0), _row("2025Q3", None)],
    )
    con.execute(MARTS)
    con.execute(MARTS)  # twice: nothing changes the second time
    columns = [r[0] for r in con.execute("DESCRIBE unit_scores").fetchall()]
    assert columns[-3:] == ["composite_raw", "adjustment", "veto"] and len(columns) == 26
    rows = con.execute("SELECT composite, composite_raw, adjustment, veto FROM unit_scores ORDER BY period").fetchall()
    assert rows == [(70.0, 70.0, 0.0, False), (60.0, 60.0, 0.0, False), (None, None, 0.0, False)]
    assert con.execute("SELECT count(*) FROM run_periods").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM run_adjustments").fetchall() == [(0,)]


def test_warnings_are_quarterly_and_members_years_are_labelled():
    con = duckdb.connect()
    con.execute("CREATE TABLE grid_registry (grid_no INTEGER, grid_id VARCHAR)")
    con.execute(MARTS)
    con.execute("INSERT INTO grid_registry VALUES (1, 'g1')")
    con.execute("INSERT INTO run_tiers VALUES (1, 0, '先锋', 80)")
    for pkey in (20250, 20253):  # the year 2025 and its third quarter
        con.execute("INSERT INTO member_scores VALUES (1, ?, 7, 1, 3, 5, 0, 4, 85, 0)", [pkey])
    assert con.execute("SELECT period FROM member_scores_v ORDER BY period").fetchall() == [("2025",), ("2025Q3",)]
    for period in ("2025", "2025Q1"):
        con.execute("INSERT INTO unit_scores BY NAME SELECT 1 AS run_id, ? AS period, 'grid' AS level", [period])
    assert con.execute("SELECT period FROM unit_warnings").fetchall() == [("2025Q1",)]

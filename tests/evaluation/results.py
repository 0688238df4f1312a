"""A hand-made results file beside the tiny warehouse of conftest.py: two runs of three grids
and two districts in 2025Q3 (and 2025Q2), a complete year 2024 and a year 2025 still running,
with the rectification rule's inputs (grade, black list, yellow card) set so that each run
lists different units. No computation: the review needs only these rows."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.engine.marts import INDICATORS
from pipelines.engine.scores_db import scores_path
from tests.evaluation.conftest import GRIDS, make_warehouse

CONFIG = Path(__file__).resolve().parents[2] / "pipelines" / "config" / "methodology-v1.toml"
G1, G2, G3 = (g[0] for g in GRIDS)
# (run, period, level, unit_id, unit_name, grade, list, yellow_card, rank)
ROWS = [
    (1, "2025Q3", "grid", G1, "甲网格", "较差", None, False, 3),
    (1, "2025Q3", "grid", G2, "乙网格", "一般", None, True, 2),
    (1, "2025Q3", "grid", G3, "丙网格", "好", "红榜", False, 1),
    (1, "2025Q3", "district", "东区", "东区", "好", None, False, 1),
    (1, "2025Q3", "district", "西区", "西区", "较差", None, False, 2),
    (2, "2025Q3", "grid", G1, "甲网格", "好", "红榜", False, 1),
    (2, "2025Q3", "grid", G2, "乙网格", "一般", None, False, 2),
    (2, "2025Q3", "grid", G3, "丙网格", "一般", "黑榜", False, 3),
    (2, "2025Q3", "district", "东区", "东区", "好", None, False, 1),
    (2, "2025Q3", "district", "西区", "西区", "较好", None, False, 2),
]
# Listed by the rule (lowest grade 较差, 黑榜 or 黄牌) in each run's 2025Q3.
LISTED = {1: {("grid", G1), ("grid", G2), ("district", "西区")}, 2: {("grid", G3)}}
PERIODS = {  # run: (period, kind, complete)
    1: [("2025Q2", "quarter", True), ("2025Q3", "quarter", True), ("2024", "year", True), ("2025", "year", False)],
    2: [("2025Q2", "quarter", True), ("2025Q3", "quarter", True), ("2024", "year", True), ("2025", "year", False)],
}


def make_results(db: Path) -> Path:
    """The tiny warehouse (with its grids' branches) and a results file with runs 1 and 2."""
    make_warehouse(db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE orgs (org_id VARCHAR, org_name VARCHAR, org_type VARCHAR, parent_org_id VARCHAR,"
            " grid_id VARCHAR)"
        )
        for n, (grid, name, community, *_rest) in enumerate(GRIDS, start=1):
            con.execute(
                "INSERT INTO orgs VALUES (?, ?, '网格党支部', ?, ?), (?, ?, '社区党委', NULL, NULL)",
                [f"b{n}", f"{name}党支部", f"c{n}", grid, f"c{n}", f"{community}党委"],
            )
    config = CONFIG.read_text(encoding="utf-8")
    wide = ", ".join(f"{c} DOUBLE, {c}_score DOUBLE" for c in INDICATORS)
    with duckdb.connect(str(scores_path(db))) as con:
        con.execute(
            "CREATE TABLE runs (run_id INTEGER, computed_at TIMESTAMP, methodology_version VARCHAR,"
            " config_hash VARCHAR, config_text VARCHAR, data_batch INTEGER, data_files VARCHAR, data_digest VARCHAR)"
        )
        con.execute(
            "CREATE TABLE unit_scores (run_id INTEGER, period VARCHAR, level VARCHAR, unit_id VARCHAR,"
            " unit_name VARCHAR, fortress DOUBLE, vanguard DOUBLE, service DOUBLE, composite DOUBLE, grade VARCHAR,"
            " composite_rank INTEGER, list VARCHAR, yellow_card BOOLEAN)"
        )
        con.execute(
            f"CREATE TABLE indicator_scores (run_id INTEGER, period VARCHAR, level VARCHAR, unit_id VARCHAR, {wide})"
        )
        con.execute(
            "CREATE TABLE run_periods (run_id INTEGER, period VARCHAR, kind VARCHAR, complete BOOLEAN,"
            " quarters INTEGER)"
        )
        for run in (1, 2):
            con.execute(
                "INSERT INTO runs VALUES (?, TIMESTAMP '2025-10-01', 'v1.1', 'abc', ?, 1, '[]', 'd')",
                [run, config],
            )
            for period, kind, complete in PERIODS[run]:
                con.execute("INSERT INTO run_periods VALUES (?, ?, ?, ?, 1)", [run, period, kind, complete])
        for run, period, level, unit, name, grade, band, card, rank in ROWS:
            score = 90.0 - 10 * rank
            for p in (period, "2025Q2", "2024", "2025"):
                listed = p == period
                con.execute(
                    "INSERT INTO unit_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run, p, level, unit, name, score, score, score, score, grade if listed else "好",
                     rank, band if listed else None, card and listed],
                )  # fmt: skip
            # F1 loses most, then S1: every other indicator is at its upper goalpost.
            scores = {c: 100.0 for c in INDICATORS} | {"F1": 20.0, "S1": 50.0}
            values = [v for c in INDICATORS for v in (0.5, scores[c])]
            con.execute(
                f"INSERT INTO indicator_scores VALUES (?, ?, ?, ?, {', '.join('?' * len(values))})",
                [run, period, level, unit, *values],
            )
    return db

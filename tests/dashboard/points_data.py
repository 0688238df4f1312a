"""Hand-made 双报到 data on a copy of a published city (tests/conftest.py `two_districts`): four
reporting organisations with the contract's tables and columns (members.reporting_org_id,
demands.claimed_by_org, tasks; member_points and org_points in the results), every number
chosen here, so the pages' and the pack's expectations are checked by hand, not by the engine.

| org | district | members | points | 人均 | ranked | city rank | district rank |
| RB 乙单位 | D2 (one member lives in D1) | 3 | 120 | 40 | yes | 1 | 1 |
| RA 甲单位 | D1 | 4 | 120 | 30 | yes | 2 | 1 |
| RD 丁单位 | D2 | 3 | 60 | 20 | yes | 3 | 2 |
| RC 丙单位 | D1 | 2 | 100 | 50 | no (fewer than 3) | — | — |

Member LEDGER (RA's first member) in 2025Q3: 10 services, 25.5 hours, 3 claims, 4 ratings of 5 →
20 + 25.5 + 15 + 4 = 64.5, capped at 60; in 2025Q4: 5, 8, 1, 2 → 10 + 8 + 5 + 2 = 25; the
year 2025: 85 (60 + 25), tier 合格. The tasks of the first grid's branch due in 2025Q4: one done
on the due date (on time), one a day late, one open.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines.engine.scores_db import scores_path

PERIOD, BEFORE, YEAR = "2025Q4", "2025Q3", "2025"
ORGS = {  # org_id: (name, district index, members, points, 人均, ranked, city rank, district rank)
    "RB": ("乙单位党支部", 1, 3, 120.0, 40.0, True, 1, 1),
    "RA": ("甲单位党支部", 0, 4, 120.0, 30.0, True, 2, 1),
    "RD": ("丁单位党支部", 1, 3, 60.0, 20.0, True, 3, 2),
    "RC": ("丙单位党支部", 0, 2, 100.0, 50.0, False, None, None),
}
POINTS_RULE = """
[points]
per_service = 2
per_hour = 1
per_claim = 5
per_top_rating = 1
top_rating = 5
quarter_cap = 60
per_org_claim = 10
min_members = 3
"""
CITY_ORDER = ["RB", "RA", "RD", "RC"]  # ranked by 人均, then the unranked
HOME_ORDER = ["RB", "RA", "RC"]  # the first district: RB reaches it through one member's grid
# RA's first member: (period, pkey, services, hours, claims, ratings_5, points_raw, points, points_ytd, tier)
LEDGER = [
    (BEFORE, 20253, 10, 25.5, 3, 4, 64.5, 60.0, 60.0, "合格"),
    (PERIOD, 20254, 5, 8.0, 1, 2, 25.0, 25.0, 85.0, "合格"),
    (YEAR, 20250, 15, 33.5, 4, 6, 89.5, 85.0, 85.0, "合格"),
]


def _drop(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop whatever the engine published under `name` (a table or a view), so ours replaces it."""
    found = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    if found:
        con.execute(f"DROP {'VIEW' if found[0] == 'VIEW' else 'TABLE'} {name}")


def add_points(source: Path, folder: Path) -> dict:
    """A copy of the published city `source` in `folder` with the hand-made data; returns the
    db, the run, the districts, the members chosen per org and the task grid."""
    shutil.copytree(source.parent, folder, dirs_exist_ok=True)
    db = folder / source.name
    with duckdb.connect(str(scores_path(db)), read_only=True) as con:
        run = con.execute("SELECT max(run_id) FROM runs").fetchone()[0]
    with duckdb.connect(str(db)) as con:
        districts = [d for (d,) in con.execute("SELECT DISTINCT district FROM grids ORDER BY 1").fetchall()]
        grids = {
            d: [g for (g,) in con.execute("SELECT grid_id FROM grids WHERE district = ? ORDER BY 1", [d]).fetchall()]
            for d in districts
        }
        # Members living in each district's grids in 2025Q4 (their latest roster row), by number.
        living = {
            d: [
                (int(n), g, int(gno))
                for n, g, gno in con.execute(
                    "SELECT member_no, grid_id, grid_no FROM (SELECT member_no, arg_max(grid_id, as_of) AS grid_id,"
                    " arg_max(grid_no, as_of) AS grid_no FROM members GROUP BY member_no)"
                    " JOIN grids USING (grid_id) WHERE district = ?"
                    # members who served first: their recent services are shown
                    " ORDER BY member_no NOT IN (SELECT member_no FROM services), member_no LIMIT 12",
                    [d],
                ).fetchall()
            ]
            for d in districts
        }
        d1, d2 = districts[0], districts[-1]
        chosen = {
            "RA": living[d1][0:4],
            "RC": living[d1][4:6],
            "RB": [living[d1][6], *living[d2][0:2]],
            "RD": living[d2][2:5],
        }
        for table, column in (("members", "reporting_org_id"), ("demands", "claimed_by_org")):
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} VARCHAR")
        for org, (name, *_rest) in ORGS.items():
            con.execute("INSERT INTO orgs (org_id, org_name, org_type) VALUES (?, ?, '报到单位党组织')", [org, name])
            for member, _grid, _gno in chosen[org]:
                con.execute("UPDATE members SET reporting_org_id = ? WHERE member_no = ?", [org, member])
        branch = con.execute(
            "SELECT org_id, grid_id FROM orgs WHERE org_type = '网格党支部' AND grid_id = ?", [grids[d1][0]]
        ).fetchone()
        _drop(con, "tasks")
        con.execute(
            "CREATE OR REPLACE TABLE tasks (task_id VARCHAR, org_id VARCHAR, content VARCHAR, category VARCHAR,"
            " assigned_date DATE, due_date DATE, completed_date DATE, _content UBIGINT, _batch_id INTEGER,"
            " _file_id INTEGER, _row INTEGER)"
        )
        con.executemany(
            "INSERT INTO tasks VALUES (?, ?, ?, '组织建设', DATE '2025-10-01', ?, ?, 0, 1, 1, ?)",
            [
                ("T1", branch[0], "按期召开支部委员会", "2025-12-31", "2025-12-31", 1),  # on the due date: on time
                ("T2", branch[0], "完成党员信息核查", "2025-11-30", "2025-12-01", 2),  # a day late
                ("T3", branch[0], "走访困难党员", "2025-12-15", None, 3),  # open
                ("T4", branch[0], "下季度任务", "2026-01-01", None, 4),  # due in the next quarter: not 2025Q4's
            ],
        )
    with duckdb.connect(str(scores_path(db))) as con:
        for name in ("member_points", "org_points"):
            _drop(con, name)
        # The run computed with a [points] rule (v1.2's numbers), as a run of v1.2 records it.
        text = con.execute("SELECT config_text FROM runs WHERE run_id = ?", [run]).fetchone()[0]
        if "[points]" not in text:
            con.execute("UPDATE runs SET config_text = ? WHERE run_id = ?", [text + POINTS_RULE, run])
        con.execute(
            "CREATE OR REPLACE TABLE member_points (run_id INTEGER, pkey INTEGER, member_no INTEGER, grid_no INTEGER,"
            " reporting_org_id VARCHAR, services INTEGER, hours DOUBLE, claims INTEGER, ratings_5 INTEGER,"
            " points_raw DOUBLE, points DOUBLE, points_ytd DOUBLE, tier VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE org_points (run_id INTEGER, period VARCHAR, org_id VARCHAR, org_name VARCHAR,"
            " district VARCHAR, members INTEGER, services INTEGER, hours DOUBLE, claimed_demands INTEGER,"
            " points DOUBLE, points_per_member DOUBLE, ranked BOOLEAN, city_rank INTEGER, district_rank INTEGER)"
        )
        for org, (name, d, n, pts, per, ranked, city, district) in ORGS.items():
            for period, factor in ((PERIOD, 1.0), (BEFORE, 0.5)):  # 2025Q3: half of 2025Q4's, same order
                con.execute(
                    "INSERT INTO org_points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run, period, org, name, (d1, d2)[d], n, 3 * n, 6.0 * n, 1,
                     pts * factor, per * factor, ranked, city, district],
                )  # fmt: skip
            for i, (member, _grid, gno) in enumerate(chosen[org]):
                if org == "RA" and i == 0:
                    for _p, pkey, *values in LEDGER:
                        con.execute(
                            "INSERT INTO member_points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [run, pkey, member, gno, org, *values],
                        )
                    continue
                each = (pts - 10) / n
                for pkey in (20253, 20254):
                    con.execute(
                        "INSERT INTO member_points VALUES (?, ?, ?, ?, ?, 3, 6, 1, 0, ?, ?, ?, '待激励')",
                        [run, pkey, member, gno, org, each, each, each],
                    )
    return {"db": db, "run": run, "districts": districts, "members": chosen, "task_grid": branch[1]}

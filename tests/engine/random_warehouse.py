"""A warehouse written by hand (the loader's published tables and column names, data contract
v1 and v1.1), filled from a seeded generator: 30 grids in two districts over 2025, with
grids that never hold a meeting, have no branch or no demands (indices at or below the minimum
weight), members on two roster snapshots, services, demands and meetings. For comparing runs of
the engine, not for hand-checked numbers (tests/engine/test_indicators.py, test_f6.py and
test_points.py are those)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

GRIDS = 30
MEMBERS = 400
DISTRICTS = ("东城区", "西城区")
MEETING_TYPES = ("支部党员大会", "支部委员会", "党课", "主题党日")


def _days(rng: np.random.Generator, n: int) -> pd.Series:
    return pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"))


def frames(seed: int = 7) -> dict[str, pd.DataFrame]:
    """The tables as frames (v1 columns only)."""
    rng = np.random.default_rng(seed)
    grid_ids = [f"G{i:02d}" for i in range(GRIDS)]
    grids = pd.DataFrame(
        {
            "grid_id": grid_ids,
            "grid_name": [f"{i}号网格" for i in range(GRIDS)],
            "community": [f"社区{i // 3}" for i in range(GRIDS)],
            "street": [f"街道{i // 8}" for i in range(GRIDS)],
            "district": [DISTRICTS[i // 16] for i in range(GRIDS)],
            "households": rng.integers(40, 400, GRIDS),
            "grid_type": rng.choice(["老旧小区", "商品房小区"], GRIDS),
        }
    )
    # G00–G02 have no branch (F1 missing), G03–G05 never meet (F1 0, F2 missing).
    orgs = [(f"B{i:02d}", f"{i}号网格党支部", "网格党支部", grid_ids[i]) for i in range(3, GRIDS)]
    orgs += [(f"X{i:02d}", f"{i}号楼栋党小组", "楼栋党小组", grid_ids[i]) for i in range(0, GRIDS, 2)]
    orgs += [(f"R{i}", f"报到单位{i}", "报到单位党组织", None) for i in range(6)]
    orgs = pd.DataFrame(orgs, columns=["org_id", "org_name", "org_type", "grid_id"])
    registry = pd.DataFrame({"member_no": range(1, MEMBERS + 1), "member_key": [f"k{i:04d}" for i in range(MEMBERS)]})
    grid_registry = pd.DataFrame({"grid_no": range(1, GRIDS + 1), "grid_id": grid_ids})
    home = rng.integers(0, GRIDS, MEMBERS)
    rows = []
    for as_of, share in (("2025-03-31", 0.85), ("2025-09-30", 1.0)):
        present = rng.random(MEMBERS) < share
        moved = np.where(rng.random(MEMBERS) < 0.05, rng.integers(0, GRIDS, MEMBERS), home)
        status = rng.choice(["正常", "正常", "正常", "正常", "停止"], MEMBERS)
        kind = rng.choice(["社区党员", "在职报到党员", "离退休党员"], MEMBERS)
        for i in np.flatnonzero(present):
            rows.append((as_of, f"k{i:04d}", i + 1, grid_ids[moved[i]], int(moved[i]) + 1, kind[i], status[i]))
    members = pd.DataFrame(
        rows, columns=["as_of", "member_key", "member_no", "grid_id", "grid_no", "member_type", "status"]
    )
    members["as_of"] = pd.to_datetime(members["as_of"]).dt.date
    n = 2500
    who = rng.integers(0, MEMBERS, n)
    rating = rng.choice([np.nan, 3, 4, 5, 5], n)
    services = pd.DataFrame(
        {
            "member_key": [f"k{i:04d}" for i in who],
            "member_no": who + 1,
            "grid_id": [grid_ids[g] for g in np.where(rng.random(n) < 0.8, home[who], rng.integers(0, GRIDS, n))],
            "service_date": _days(rng, n).dt.date,
            "hours": rng.integers(1, 9, n) / 2.0,
            "rating": pd.array(rating, dtype="Int64"),
        }
    )
    n = 700
    reported = _days(rng, n) + pd.Series(pd.to_timedelta(rng.integers(0, 24 * 60, n), unit="min"))
    resolved = reported + pd.Series(pd.to_timedelta(rng.integers(1, 24 * 8, n), unit="h"))
    open_ = rng.random(n) < 0.2
    claimer = np.where(rng.random(n) < 0.5, rng.integers(0, MEMBERS, n), -1)
    # G06–G08 never report a demand (F4, S2, S3 missing).
    grid = rng.integers(9, GRIDS, n)
    demands = pd.DataFrame(
        {
            "grid_id": [grid_ids[g] for g in grid],
            "reported_at": reported,
            "claimed_by_key": [f"k{c:04d}" if c >= 0 else None for c in claimer],
            "claimed_by_no": pd.array([c + 1 if c >= 0 else None for c in claimer], dtype="Int64"),
            "resolved_at": resolved.where(~open_),
            "resolved_level": pd.Series(rng.choice(["网格", "网格", "社区", "街道"], n)).where(~open_),
            "satisfaction": pd.array(np.where(open_ | (rng.random(n) < 0.3), np.nan, rng.integers(1, 6, n)), "Int64"),
        }
    )
    n = 900
    meeting_orgs = [o for o in orgs["org_id"] if o[0] in "BX" and int(o[1:]) > 5]
    expected = rng.integers(4, 20, n)
    meetings = pd.DataFrame(
        {
            "org_id": rng.choice(meeting_orgs, n),
            "meeting_type": rng.choice(MEETING_TYPES, n),
            "meeting_date": _days(rng, n).dt.date,
            "expected": expected,
            "attended": np.minimum(expected, rng.integers(2, 20, n)),
        }
    )
    return {
        "grids": grids,
        "orgs": orgs,
        "member_registry": registry,
        "grid_registry": grid_registry,
        "members": members,
        "services": services,
        "demands": demands,
        "meetings": meetings,
    }


TASKS = (
    "CREATE TABLE tasks (task_id VARCHAR, org_id VARCHAR, content VARCHAR, category VARCHAR, "
    "assigned_date DATE, due_date DATE, completed_date DATE)"
)


def write(path: Path, tables: dict[str, pd.DataFrame], v11_columns: bool = False) -> Path:
    """The tables into a warehouse file. v11_columns: as a loader of data contract v1.1 writes
    files without the new parts: members.reporting_org_id and demands.claimed_by_org NULL, and
    an empty task list (unless `tables` holds one)."""
    with duckdb.connect(str(path)) as con:
        for name, frame in tables.items():
            con.register("_frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")
            con.unregister("_frame")
        if v11_columns:
            con.execute("ALTER TABLE members ADD COLUMN IF NOT EXISTS reporting_org_id VARCHAR")
            con.execute("ALTER TABLE demands ADD COLUMN IF NOT EXISTS claimed_by_org VARCHAR")
            if "tasks" not in tables:
                con.execute(TASKS)
    return path

"""`python -m pipelines export points` (methodology v1.2): members' and reporting organisations'
正能量值 of a period, with the contract's columns, from the official run or the run named (a
draft said on stderr), within a scope. The city and its numbers: tests/engine/test_points.py."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.engine.compute import compute
from pipelines.engine.methodology import load, parse
from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.serve import points as served_points
from tests.engine.test_points import write_city

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = ["period", "member_key", "grid_id", "points", "points_ytd", "tier"]
ORGS = [
    "period",
    "org_id",
    "org_name",
    "district",
    "members",
    "points",
    "points_per_member",
    "city_rank",
    "district_rank",
]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = write_city(tmp_path_factory.mktemp("points") / "pbi.duckdb")
    compute(path, load(), adjustments=[], as_of=dt.date(2025, 12, 15))
    return path


def _export(db: Path, out: Path, *args: str) -> tuple[pd.DataFrame, str]:
    run = _cli("export", "points", "--db", str(db), "--out", str(out), *args)
    assert run.returncode == 0, run.stderr
    return pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False), run.stderr


def test_members_points_of_a_quarter(db, tmp_path):
    rows, stderr = _export(db, tmp_path / "m.csv", "--period", "2025Q2")
    assert list(rows.columns) == MEMBERS and len(rows) == 15  # every counted member
    assert "草稿" in stderr  # no official run: the latest, as a draft
    by_key = rows.set_index("member_key")
    assert by_key.loc["m3"].tolist() == ["2025Q2", "G3", "60.0", "120.0", "优秀"]
    assert by_key.loc["m2"].tolist() == ["2025Q2", "G3", "30.0", "90.0", "合格"]
    assert rows["member_key"].iloc[0] == "m3"  # most points first
    year, _ = _export(db, tmp_path / "y.csv", "--period", "2025", "--level", "members")
    assert year.set_index("member_key").loc["m3", ["period", "points", "points_ytd", "tier"]].tolist() == [
        "2025",
        "180.0",
        "180.0",
        "先锋",
    ]


def test_reporting_organisations_of_a_quarter(db, tmp_path):
    rows, _ = _export(db, tmp_path / "o.csv", "--period", "2025Q1", "--level", "orgs")
    assert list(rows.columns) == ORGS
    assert rows["org_id"].tolist() == ["R1", "R3", "R4", "R5", "R2"]  # ranked first, then the unranked
    r1 = rows.set_index("org_id").loc["R1"]
    assert r1.tolist()[1:] == ["市直机关一", "上城区", "3", "140.5", r1["points_per_member"], "1", "1"]
    assert float(r1["points_per_member"]) == pytest.approx(140.5 / 3)
    ranks = rows.set_index("org_id")[["city_rank", "district_rank"]]
    assert ranks.loc["R2"].tolist() == ["", ""]  # 2 members: listed, not ranked (whole numbers, not 1.0)
    assert ranks.loc["R3"].tolist() == ["2", "1"] and ranks.loc["R4"].tolist() == ["2", "2"]


def test_a_scope_keeps_its_members_and_the_organisations_reporting_to_it(db, tmp_path):
    members, _ = _export(db, tmp_path / "m.csv", "--period", "2025Q1", "--scope", "上城区")
    assert sorted(members["member_key"]) == ["m10", "m2", "m3", "m7"]
    orgs, _ = _export(db, tmp_path / "o.csv", "--period", "2025Q1", "--level", "orgs", "--scope", "上城区")
    assert sorted(orgs["org_id"]) == ["R1", "R3", "R4"]  # R3: its district is 西湖区, m7 serves 上城区
    # R3 is based outside the scope: listed with its city rank, without its district or its rank there
    r3 = orgs.set_index("org_id").loc["R3"]
    assert (r3["district"], r3["city_rank"], r3["district_rank"]) == ("", "2", "")
    assert orgs.set_index("org_id").loc["R1", ["district", "district_rank"]].tolist() == ["上城区", "1"]


def test_a_run_named_and_the_refusals(db, tmp_path):
    work = tmp_path / "work" / "pbi.duckdb"  # a copy: the other tests read the module's latest run
    work.parent.mkdir()
    shutil.copy(db, work)
    shutil.copy(scores_path(db), scores_path(work))
    db = work
    second = compute(db, parse(load().text.replace("quarter_cap = 60", "quarter_cap = 30")), adjustments=[])
    latest, _ = _export(db, tmp_path / "l.csv", "--period", "2025Q1")
    first, _ = _export(db, tmp_path / "f.csv", "--period", "2025Q1", "--run", str(second - 1))
    assert latest.set_index("member_key").loc["m2", "points"] == "30.0"
    assert first.set_index("member_key").loc["m2", "points"] == "60.0"
    missing = _cli(
        "export", "points", "--db", str(db), "--out", str(tmp_path / "x.csv"), "--run", "999", "--period", "2025Q1"
    )
    assert missing.returncode != 0 and "999" in missing.stderr
    no_period = _cli("export", "points", "--db", str(db), "--out", str(tmp_path / "x.csv"))
    assert no_period.returncode != 0 and "--period" in no_period.stderr
    bad_level = _cli(
        "export", "points", "--db", str(db), "--out", str(tmp_path / "x.csv"), "--period", "2025", "--level", "grid"
    )
    assert bad_level.returncode != 0 and "members or orgs" in bad_level.stderr


def test_a_year_reaches_a_scope_through_any_of_its_quarters(db, tmp_path):
    """m4 (G1, 翠苑一区社区) reports with R2 in Q1–Q2 and with R5 from Q3: the year's row names R5 only.
    With m5 (R2's other member there) taken out of the results, R2 still reaches the community
    in 2025 — through m4's Q1 — on the 双报到 page's query and in the export alike (one query)."""
    work = tmp_path / "work" / "pbi.duckdb"
    work.parent.mkdir()
    shutil.copy(db, work)
    shutil.copy(scores_path(db), scores_path(work))
    with duckdb.connect(str(scores_path(work))) as con:
        con.execute("DELETE FROM member_points WHERE member_no = 5")
        year_orgs = con.execute("SELECT reporting_org_id FROM member_points WHERE member_no = 4 AND pkey = 20250")
        assert year_orgs.fetchall() == [("R5",)]
    community = "西湖区/翠苑街道/翠苑一区社区"
    with connect_read(work) as con:
        run = con.execute("SELECT max(run_id) FROM runs").fetchone()[0]
        page = served_points.orgs(con, run, "2025", community)
        q3 = served_points.orgs(con, run, "2025Q3", community)
    assert "R2" in set(page["org_id"]) and "R2" not in set(q3["org_id"])  # in Q3 m4 reports with R5
    exported, _ = _export(work, tmp_path / "y.csv", "--period", "2025", "--level", "orgs", "--scope", community)
    assert exported["org_id"].tolist() == page["org_id"].tolist()

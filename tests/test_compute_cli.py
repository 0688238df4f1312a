"""compute and the score/member exports from the command line, with run records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.engine.methodology import DEFAULT
from pipelines.load.batch import load

ROOT = Path(__file__).resolve().parent.parent
SCORE_COLUMNS = [
    "period",
    "level",
    "unit_id",
    "unit_name",
    "fortress",
    "vanguard",
    "service",
    "composite",
    "grade",
    "fortress_rank",
    "vanguard_rank",
    "service_rank",
    "composite_rank",
    "rank_change",
    "list",
    "yellow_card",
    "rank_q05",
    "rank_q95",
]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def db(small_clean, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compute") / "pbi.duckdb"
    load([small_clean], path)
    run = _cli("compute", "--db", str(path))
    assert run.returncode == 0, run.stderr
    return path


def test_scores_export(db, tmp_path):
    out = tmp_path / "scores.csv"
    assert _cli("export", "scores", "--db", str(db), "--out", str(out)).returncode == 0
    s = pd.read_csv(out, encoding="utf-8-sig", dtype={"unit_id": str})
    assert list(s.columns) == SCORE_COLUMNS
    assert set(s["level"]) == {"grid", "community", "street", "district", "city"}
    assert s["period"].nunique() == 8
    assert (s.loc[s["level"] == "city", "unit_id"] == "全市").all()
    assert s.loc[s["level"] == "community", "unit_id"].str.count("/").eq(2).all()
    grids = s[s["level"] == "grid"]
    assert set(grids["list"].dropna()) <= {"红榜", "黑榜"}
    assert (grids["rank_q05"] <= grids["rank_q95"]).all()
    ranked = grids.dropna(subset=["composite_rank"])
    inside = (ranked["rank_q05"] <= ranked["composite_rank"]) & (ranked["composite_rank"] <= ranked["rank_q95"])
    assert inside.mean() > 0.9  # the published rank lies within its 5–95 % interval for nearly every unit
    assert (ranked["rank_q95"] > ranked["rank_q05"]).any()  # and weights do move some ranks


def test_members_export(db, tmp_path):
    out = tmp_path / "members.csv"
    assert _cli("export", "members", "--db", str(db), "--out", str(out), "--period", "2025Q4").returncode == 0
    m = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(m.columns) == ["period", "member_key", "grid_id", "score", "tier"]
    assert set(m["tier"]) == {"先锋", "优秀", "合格", "待激励"}
    assert m["member_key"].str.fullmatch(r"[0-9a-f]{32}").all()  # never the ID number


def test_edited_weight_changes_results_and_run_record(db, tmp_path):
    edited = tmp_path / "m.toml"
    edited.write_text(
        DEFAULT.read_text(encoding="utf-8").replace("weight = 0.30", "weight = 0.90", 1), encoding="utf-8"
    )
    assert _cli("compute", "--db", str(db), "--config", str(edited)).returncode == 0
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT run_id, config_hash, config_text, data_digest FROM runs ORDER BY run_id").fetchall()
        assert len(runs) >= 2 and runs[-1][1] != runs[0][1] and "weight = 0.90" in runs[-1][2]
        assert runs[-1][3] == runs[0][3]  # same data snapshot
        first, last = (
            con.execute("SELECT sum(fortress) FROM unit_scores WHERE run_id = ?", [r[0]]).fetchall()[0][0]
            for r in (runs[0], runs[-1])
        )
        assert first != pytest.approx(last)
        # The first run's results stay as published.
        assert con.execute("SELECT count(*) FROM unit_scores WHERE run_id = ?", [runs[0][0]]).fetchall()[0][0] > 0


def test_a_malformed_methodology_is_refused(db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT.read_text(encoding="utf-8").replace('code = "F5"', 'code = "F9"'), encoding="utf-8")
    run = _cli("compute", "--db", str(db), "--config", str(bad))
    assert run.returncode != 0 and "bad.toml:" in run.stderr and "unknown indicator 'F9'" in run.stderr

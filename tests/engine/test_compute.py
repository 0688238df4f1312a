"""compute and the score/member exports from the command line, with run records."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from pipelines.engine.methodology import DEFAULT
from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.load.batch import load

ROOT = Path(__file__).resolve().parents[2]
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
    "composite_raw",  # methodology v1.1: the composite before adjustment, the points, the veto
    "adjustment",
    "veto",
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
    assert sorted(s["period"].unique())[:2] == ["2024", "2024Q1"] and s["period"].nunique() == 8 + 2  # and the years
    assert (s["composite_raw"] == s["composite"]).sum() == s["composite"].notna().sum()  # no adjustment entered
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
    with connect_read(db) as con:
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


def test_a_past_run_is_shown_as_published_after_the_data_change(db, small_clean, tmp_path):
    work = tmp_path / "pbi.duckdb"
    shutil.copyfile(db, work)
    shutil.copyfile(scores_path(db), scores_path(work))
    with connect_read(work) as con:
        published = con.execute("SELECT max(run_id) FROM runs").fetchall()[0][0]
    before = tmp_path / "before.csv"
    assert _cli("export", "scores", "--db", str(work), "--out", str(before), "--period", "2025Q4").returncode == 0

    # Residents' satisfaction in 2025H2 is corrected downwards: the same tickets, changed.
    source = next((small_clean / "群众诉求").glob("*2025年下半年.csv"))
    with open(source, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index("满意度")
    for row in rows[1:]:
        if row[col]:
            row[col] = "1"
    changed = tmp_path / "诉求工单_2025年下半年_更正.csv"
    with open(changed, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    load([changed], work)
    assert _cli("compute", "--db", str(work)).returncode == 0

    again = tmp_path / "again.csv"
    args = ("export", "scores", "--db", str(work), "--period", "2025Q4")
    assert _cli(*args, "--out", str(again), "--run", str(published)).returncode == 0
    assert again.read_bytes() == before.read_bytes()  # exactly as published
    latest = tmp_path / "latest.csv"
    assert _cli(*args, "--out", str(latest)).returncode == 0
    now, then = (pd.read_csv(p, dtype={"unit_id": str}).set_index(["level", "unit_id"]) for p in (latest, before))
    fell = (now["service"] - then["service"].reindex(now.index)).dropna()
    assert len(fell) > 50 and (fell <= 1e-9).all() and (fell < 0).mean() > 0.8  # satisfaction fell, so did service
    with connect_read(work) as con:
        digests = con.execute("SELECT data_digest FROM runs WHERE run_id >= ? ORDER BY run_id", [published]).fetchall()
    assert digests[0] != digests[-1]  # the run records tell the data snapshots apart
    assert _cli(*args, "--out", str(latest), "--run", "999").returncode != 0


def test_a_warehouse_from_an_older_loader_is_refused_with_a_reason(tmp_path):
    import duckdb

    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute("CREATE TABLE services (record_id VARCHAR, member_key VARCHAR)")
    run = _cli("compute", "--db", str(old))
    assert run.returncode != 0 and "services.member_no missing" in run.stderr and "重新加载" in run.stderr
    assert not scores_path(old).exists()  # nothing published


def test_every_score_is_explained_by_its_indicators(db):
    """The published fortress/vanguard/service of every unit, in every run, is the weighted mean
    of the stored indicator scores, with the weights of the methodology the run recorded
    (reweighted over the indicators present)."""
    with connect_read(db) as con:
        runs = con.execute("SELECT run_id, config_text FROM runs ORDER BY run_id").fetchall()
    for run, config_text in runs:
        weights = {i["code"]: i["weight"] for i in tomllib.loads(config_text)["indicators"]}
        _check_explained(db, run, weights)


def _check_explained(db: Path, run: int, weights: dict[str, float]) -> None:
    with connect_read(db) as con:
        ind = con.execute("SELECT * FROM indicator_scores_long WHERE run_id = ?", [run]).df()
        units = con.execute("SELECT * FROM unit_scores WHERE run_id = ?", [run]).df()
        members = con.execute("SELECT count(*), count(DISTINCT tier) FROM member_scores_v WHERE run_id = ?", [run])
        assert members.fetchall()[0][1] == 4
    ind["w"] = ind["code"].map(weights)
    ind["index"] = ind["code"].str[0].map({"F": "fortress", "V": "vanguard", "S": "service"})
    ind["ws"] = ind["w"] * ind["score"]
    sums = ind.groupby(["period", "level", "unit_id", "index"])[["ws", "w"]].sum()
    expected = (sums["ws"] / sums["w"]).where(sums["w"] >= 0.5 - 1e-12).unstack("index")
    got = units.set_index(["period", "level", "unit_id"])[["fortress", "vanguard", "service"]]
    joined = got.join(expected.add_suffix("_expected"), how="inner")
    assert len(joined) > 500
    for col in ("fortress", "vanguard", "service"):
        both = joined[[col, f"{col}_expected"]].dropna()
        assert len(both) > 500 and (both[col] - both[f"{col}_expected"]).abs().max() < 1e-9

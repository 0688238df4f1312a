"""compute with methodology v1.1 on the small city: quarters exactly as v1 computed them
(tests/engine/fixtures/v1_quarters_small_clean.csv, written by the engine before v1.1 on the
same city), the years, the run's periods, the adjustments a run applies and records (a past
run unchanged after a later one), members' years."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.engine import whatif
from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import connect_read
from pipelines.load.batch import load
from pipelines.vocabulary import BONUS, DEDUCTION, VETO
from tests.engine.test_evaluation_rules import _entries
from tests.engine.test_v11_unchanged import V11

V1_QUARTERS = Path(__file__).parent / "fixtures" / "v1_quarters_small_clean.csv"


@pytest.fixture(scope="module")
def db(small_clean, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cycle") / "pbi.duckdb"
    load([small_clean], path)
    return path


def _plain(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values]


def _units(db: Path, run: int) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute("SELECT * FROM unit_scores WHERE run_id = ? ORDER BY period, level, unit_id", [run]).df()


def test_quarters_are_v1_s_and_years_are_added(db):
    # The v1.1 file as it shipped: whatever the city now holds (a task list, 报到 links), v1.1 computes as before.
    run = compute(db, load_methodology(V11), adjustments=pd.DataFrame(), as_of=dt.date(2025, 12, 15))
    units = _units(db, run)
    quarters = units[units["period"].str.contains("Q")].reset_index(drop=True)
    v1 = pd.read_csv(V1_QUARTERS, dtype={"unit_id": str, "period": str, "peer_class": str, "list": str})
    assert len(quarters) == len(v1) == 560
    for column in v1.columns:
        got, want = quarters[column], v1[column]
        if want.dtype.kind == "f" or got.dtype.kind == "f":
            assert np.allclose(got.astype(float), want.astype(float), rtol=1e-11, atol=0, equal_nan=True), column
        else:
            assert _plain(got) == _plain(want), column
    assert (quarters["composite_raw"].fillna(-1) == quarters["composite"].fillna(-1)).all()
    assert (units["adjustment"] == 0).all() and not units["veto"].any()
    years = units[~units["period"].str.contains("Q")]
    assert sorted(years["period"].unique()) == ["2024", "2025"]
    assert set(years["level"]) == {"grid", "community", "street", "district", "city"}
    assert len(years) == 2 * len(quarters) / 8  # every unit, every year
    ranked = years.dropna(subset=["composite_rank"])
    assert len(ranked) > 100 and (ranked["rank_q05"] <= ranked["rank_q95"]).all()
    assert ranked.loc[ranked["period"] == "2025", "rank_change"].notna().any()
    # A year's fortress is the mean of its quarters' (all four present here).
    grid = quarters[(quarters["level"] == "grid") & quarters["period"].str.startswith("2025")]
    means = grid.groupby("unit_id")["fortress"].mean()
    year_fortress = years[(years["level"] == "grid") & (years["period"] == "2025")].set_index("unit_id")["fortress"]
    assert np.allclose(year_fortress.reindex(means.index), means, rtol=1e-12)
    with connect_read(db) as con:
        periods = con.execute(
            "SELECT period, kind, complete, quarters FROM run_periods WHERE run_id = ? ORDER BY kind, period", [run]
        ).df()
    years_p = periods[periods["kind"] == "year"].set_index("period")
    assert years_p.loc["2024", "complete"] and not years_p.loc["2025", "complete"]  # 2025 is 年度累计 on 12-15
    assert (years_p["quarters"] == 4).all()
    q = periods[periods["kind"] == "quarter"].set_index("period")
    assert not q.loc["2025Q4", "complete"] and q.loc["2025Q3", "complete"] and (q["quarters"] == 1).all()


def test_a_run_applies_and_records_exactly_the_entries_it_is_given(db):
    m = load_methodology()
    before = _units(db, compute(db, m, adjustments=pd.DataFrame()))
    grid_q4 = before[(before["level"] == "grid") & (before["period"] == "2025Q4")].dropna(subset=["composite"])
    grid = grid_q4.sort_values("composite").iloc[0]["unit_id"]  # the last grid: a bonus moves it up
    community = before[(before["level"] == "community") & (before["period"] == "2025")].iloc[0]["unit_id"]
    entries = _entries(
        [
            ("grid", grid, "2025Q4", BONUS, 4.0),
            ("grid", grid, "2025Q4", DEDUCTION, -1.5),
            ("community", community, "2025", VETO, 0.0),
            ("grid", "不存在的网格", "2025Q4", BONUS, 5.0),  # no such unit: recorded, changes nothing
        ]
    )
    first = compute(db, m, adjustments=entries)
    later = compute(db, m, adjustments=entries.iloc[:0])  # e.g. every entry revoked since
    adjusted, after = _units(db, first), _units(db, later)
    key = ["period", "level", "unit_id"]
    row = adjusted.set_index(key).loc[("2025Q4", "grid", grid)]
    raw = before.set_index(key).loc[("2025Q4", "grid", grid), "composite"]
    assert row["composite_raw"] == raw and row["adjustment"] == 2.5 and row["composite"] == pytest.approx(raw + 2.5)
    assert row["fortress"] == before.set_index(key).loc[("2025Q4", "grid", grid), "fortress"]
    vetoed = adjusted.set_index(key).loc[("2025", "community", community)]
    assert bool(vetoed["veto"]) and vetoed["grade"] == m.lowest_grade and vetoed["list"] != "红榜"
    # Everything else as without entries (ranks of the grid's level and quarter may move).
    others = adjusted.set_index(key).drop([("2025Q4", "grid", grid), ("2025", "community", community)])
    assert np.allclose(others["composite"], before.set_index(key).loc[others.index, "composite"], equal_nan=True)
    assert len(adjusted) == len(before)
    # The later run has none; the first keeps its own, as published.
    assert not after["veto"].any() and (after["adjustment"] == 0).all()
    pd.testing.assert_frame_equal(_units(db, first), adjusted)
    with connect_read(db) as con:
        recorded = con.execute("SELECT * FROM run_adjustments ORDER BY run_id, adjustment_id").df()
    assert recorded["run_id"].tolist() == [first] * 4
    assert recorded["unit_id"].tolist() == [grid, grid, community, "不存在的网格"]
    assert recorded["points"].tolist() == [4.0, -1.5, 0.0, 5.0] and set(recorded["approved_by"]) == {"b"}


def test_members_years_are_the_means_of_their_quarters(db):
    m = load_methodology()
    run = compute(db, m, adjustments=pd.DataFrame())
    with connect_read(db) as con:
        rows = con.execute("SELECT * FROM member_scores_v WHERE run_id = ?", [run]).df()
    quarters = rows[rows["period"].str.startswith("2025Q")]
    year = rows[rows["period"] == "2025"].set_index("member_no")
    assert len(year) == quarters["member_no"].nunique()
    expected = quarters.groupby("member_no").agg(score=("score", "mean"), services=("services", "sum"))
    assert np.allclose(year.loc[expected.index, "score"], expected["score"], rtol=1e-12)
    assert (year.loc[expected.index, "services"] == expected["services"]).all()
    cut = {t.name: t.min for t in m.member_tiers}
    tiers = [next(t.name for t in m.member_tiers if s >= t.min - 1e-9) for s in year["score"]]
    assert year["tier"].tolist() == tiers and cut["先锋"] == 80
    assert year["tier"].nunique() >= 3


def test_what_if_with_the_run_s_weights_reproduces_years_and_adjustments(db):
    m = load_methodology()
    before = _units(db, compute(db, m, adjustments=pd.DataFrame()))
    grids = before[(before["level"] == "grid") & (before["period"] == "2025")].dropna(subset=["composite"])
    last = grids.sort_values("composite")["unit_id"].iloc[:2].tolist()
    run = compute(db, m, adjustments=_entries([("grid", u, "2025", BONUS, 5.0) for u in last]))
    with connect_read(db) as con:
        values = con.execute(
            "SELECT * FROM indicator_scores WHERE run_id = ? AND level = 'grid' AND period LIKE '2025Q%'", [run]
        ).df()
    published = _units(db, run)
    published = published[(published["level"] == "grid") & (published["period"] == "2025")].set_index("unit_id")
    assert (published.loc[last, "adjustment"] == 5.0).all()
    out = whatif.recompute(m, whatif.default_weights(m), values, published["adjustment"], year=True)
    out = out.set_index("unit_id").loc[published.index]
    for column in ("composite", "composite_raw"):  # bit for bit
        assert np.array_equal(out[column].to_numpy(float), published[column].to_numpy(float), equal_nan=True)
    assert published["composite_rank"].notna().sum() > 40
    assert out["composite_rank"].fillna(-1).tolist() == published["composite_rank"].fillna(-1).astype(int).tolist()
    edited = whatif.recompute(m, {**whatif.default_weights(m), "F1": 0.0}, values, published["adjustment"], year=True)
    assert not np.allclose(edited.set_index("unit_id").loc[published.index, "composite"], published["composite"])

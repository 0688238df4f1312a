"""方法 Methodology page and its what-if engine (pipelines/engine/whatif.py) over a published,
computed demo city."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.engine import whatif
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.methodology import parse
from pipelines.engine.scores_db import connect_read, scores_path
from tests.signin import app

PERIOD = "2025Q4"


@pytest.fixture(scope="module")
def published(published_demo) -> Path:
    """The demo city published once for the session (tests that change it work on a copy)."""
    return published_demo


def _read(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute(sql, params or []).df()


def _run_methodology(db: Path):
    text = _read(db, "SELECT config_text FROM runs ORDER BY run_id DESC LIMIT 1")["config_text"].iloc[0]
    return parse(text)


def _values(db: Path, level: str, period: str = PERIOD) -> pd.DataFrame:
    return _read(
        db,
        "SELECT * EXCLUDE (run_id, period, level) FROM indicator_scores WHERE period = ? AND level = ?",
        [period, level],
    )


def _published(db: Path, level: str, period: str = PERIOD) -> pd.DataFrame:
    return _read(
        db,
        "SELECT * EXCLUDE (run_id) FROM unit_scores WHERE period = ? AND level = ? ORDER BY unit_id",
        [period, level],
    )


def _digest(db: Path) -> tuple[str, str]:
    return tuple(hashlib.sha256(p.read_bytes()).hexdigest() for p in (db, scores_path(db)))


# --- the engine's what-if -----------------------------------------------------------------


@pytest.mark.parametrize("level", ["grid", "community"])
@pytest.mark.parametrize("period", ["2024Q1", PERIOD])
def test_the_runs_own_weights_reproduce_the_published_scores_and_ranks(published, level, period):
    m = _run_methodology(published)
    new = whatif.recompute(m, whatif.default_weights(m), _values(published, level, period))
    old = _published(published, level, period)
    both = old.merge(new, on="unit_id", how="left", suffixes=("", "_new"))
    assert len(both) == len(old) and both["composite"].notna().sum() >= 5
    for col in ("fortress", "vanguard", "service", "composite"):
        a, b = both[col].to_numpy(float), both[f"{col}_new"].to_numpy(float)
        assert (np.isnan(a) == np.isnan(b)).all(), col
        assert np.nanmax(np.abs(a - b)) <= 1e-9, col
    assert both["composite_rank"].astype("Int64").equals(both["composite_rank_new"].astype("Int64"))


def test_all_weight_on_fortress_ranks_as_the_published_fortress_rank(published):
    m = _run_methodology(published)
    weights = {"fortress": 1.0, "vanguard": 0.0, "service": 0.0}
    new = whatif.recompute(m, weights, _values(published, "grid"))
    old = _published(published, "grid").merge(new, on="unit_id", suffixes=("", "_new"))
    assert np.allclose(old["composite_new"], old["fortress"], atol=1e-9, equal_nan=True)
    assert old["composite_rank_new"].astype("Int64").equals(old["fortress_rank"].astype("Int64"))
    assert not old["composite_rank"].astype("Int64").equals(old["fortress_rank"].astype("Int64"))  # it did move


def test_weights_are_relative_as_in_the_engine(published):
    """Doubling every indicator weight of an index changes nothing (the engine divides by the
    sum present); moving weight between indicators changes only that index."""
    m = _run_methodology(published)
    values = _values(published, "grid")
    base = whatif.recompute(m, whatif.default_weights(m), values)
    doubled = {i.code: 2 * i.weight for i in m.indicators_of("fortress")}
    assert np.allclose(whatif.recompute(m, doubled, values)["composite"], base["composite"], atol=1e-9)
    moved = whatif.recompute(m, {"F1": 0.0, "F5": 0.4}, values)
    assert not np.allclose(moved["fortress"], base["fortress"])
    for col in ("vanguard", "service"):
        assert np.allclose(moved[col], base[col], atol=1e-12, equal_nan=True)
    shares = whatif.shares(m, {**whatif.default_weights(m), **doubled})
    fortress_total = sum(i.weight for i in m.indicators_of("fortress"))  # 1.15 with v1.2's F6
    assert shares["F1"] == pytest.approx(0.30 / fortress_total) and shares["fortress"] == pytest.approx(1 / 3)


def test_weights_are_checked():
    m = load_methodology()
    with pytest.raises(ValueError, match="no such weight"):
        whatif.tree(m, {"F9": 1.0})
    with pytest.raises(ValueError, match="≥ 0"):
        whatif.tree(m, {"F1": -0.1})
    assert whatif.weightless(m, {**whatif.default_weights(m), "V5": 0.0, "V6": 0.0}) == ["vanguard"]


def test_compare_and_summary_by_hand():
    published = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d", "e"],
            "unit_name": ["A", "B", "C", "D", "E"],
            "composite": [90.0, 80.0, 70.0, 60.0, np.nan],
            "composite_rank": [1, 2, 3, 4, None],
        }
    )
    recomputed = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d", "e"],
            "composite": [70.0, 80.0, 90.0, np.nan, np.nan],
            "composite_rank": pd.array([3, 2, 1, None, None], dtype="Int64"),
        }
    )
    out = whatif.compare(published, recomputed)
    assert list(out["unit_id"]) == ["c", "a", "b", "d", "e"]  # biggest movers first
    assert out["move"].tolist()[:3] == [2, -2, 0]
    s = whatif.summary(out)
    assert (s["ranked"], s["moved"], s["rose"], s["fell"], s["lost"]) == (3, 2, 2, 2, 1)
    assert s["rho"] == pytest.approx(-1.0)  # ranks 1, 2, 3 became 3, 2, 1
    assert whatif.summary(out.iloc[[1]])["rho"] is None  # one unit: undefined


# --- the page -----------------------------------------------------------------------------


def _page(monkeypatch, db: Path, **params: str) -> AppTest:
    return app(monkeypatch, db, "methodology", **params)


def _whatif_table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[-1].value


def test_page_shows_the_runs_configuration_and_record(monkeypatch, published):
    at = _page(monkeypatch, published)
    assert not at.exception
    assert at.title[0].value == "方法 · v1.2"
    indicators = at.dataframe[0].value
    configured = {i.code: i.weight for i in load_methodology().indicators}
    assert dict(zip(indicators["编码"], indicators["权重"], strict=True)) == configured
    assert indicators.loc[indicators["编码"] == "F2", "标准化（目标值区间）"].iloc[0] == "[0.6, 1] → 0–100"
    assert indicators.loc[indicators["编码"] == "F1", "占比"].iloc[0] == "26.1%"  # 0.30 of 1.15 (v1.2: F6 added)
    run = _read(published, "SELECT * FROM runs ORDER BY run_id DESC LIMIT 1").iloc[0]
    record = at.dataframe[6].value.set_index("项目")["值"]
    assert record["方法配置哈希（SHA-256）"] == run["config_hash"] and len(run["config_hash"]) == 64
    assert record["校验"].startswith("✓")
    assert record["数据摘要（各文件内容哈希的 SHA-256）"] == run["data_digest"]
    assert record["计算引擎"] == "DuckDB（单机）"  # a Spark run says so (tests/spark/test_compute_parity.py)
    files = at.dataframe[7].value
    assert len(files) == len(json.loads(run["data_files"])) > 0 and files["文件"].ne("—").all()
    assert at.get("download_button")[0].label == "下载方法配置（.toml）"
    grades = at.dataframe[2].value
    assert list(grades["等级"]) == ["好", "较好", "一般", "较差"]


def test_page_in_english(monkeypatch, published):
    at = _page(monkeypatch, published, lang="en")
    assert not at.exception
    assert at.title[0].value == "Methodology · v1.2"
    indicators = at.dataframe[0].value
    assert "Meeting completion" in set(indicators["Indicator"])
    assert [m.label for m in at.metric][:2] == ["Units ranked", "Units that move"]


def test_whatif_slider_reranks_without_touching_the_published_data(monkeypatch, published):
    before, files = _published(published, "grid"), _digest(published)
    at = _page(monkeypatch, published, period=PERIOD, level="grid")
    assert not at.exception
    table = _whatif_table(at)
    assert (table["名次变化"] == "=").all() and (table["发布排名"].dropna() == table["模拟排名"].dropna()).all()
    assert at.metric[1].value == "0"
    at.slider(key="w_vanguard").set_value(0.0).run()
    at.slider(key="w_service").set_value(0.0).run()
    assert not at.exception
    moved = _whatif_table(at)
    assert (moved["名次变化"] != "=").any() and int(at.metric[1].value) > 0
    by_unit = moved.set_index("编码")["模拟排名"]
    fortress = before.set_index("unit_id")["fortress_rank"].dropna().astype(int)
    assert (by_unit[fortress.index].astype(int) == fortress).all()  # all weight on 堡垒指数
    assert at.query_params["w_vanguard"] in ("0", ["0"]) and "w_fortress" not in at.query_params
    pd.testing.assert_frame_equal(_published(published, "grid"), before)
    assert _digest(published) == files  # nothing written anywhere
    next(b for b in at.button if b.label == "恢复本批次权重").click().run()
    assert (_whatif_table(at)["名次变化"] == "=").all() and "w_vanguard" not in at.query_params


def test_whatif_weights_reopen_from_the_url(monkeypatch, published):
    at = _page(monkeypatch, published, level="community", w_F1="0", w_fortress="2", w_S4="abc")
    assert not at.exception
    assert at.slider(key="w_F1").value == 0.0
    assert at.slider(key="w_fortress").value == 1.0  # above the slider's range: the run's weight
    assert at.slider(key="w_S4").value == pytest.approx(0.35)
    m = _run_methodology(published)
    expected = whatif.recompute(m, {**whatif.default_weights(m), "F1": 0.0}, _values(published, "community"))
    table = _whatif_table(at).set_index("编码")
    ranks = expected.set_index("unit_id")["composite_rank"]
    assert (table.loc[ranks.index, "模拟排名"].astype(int) == ranks.astype(int)).all()


def test_whatif_scope_filters_rows_not_ranks(monkeypatch, published):
    first = _read(published, "SELECT district, street FROM grids ORDER BY ALL LIMIT 1").iloc[0]
    inside = _read(
        published, "SELECT grid_id FROM grids WHERE district = ? AND street = ?", [first["district"], first["street"]]
    )["grid_id"]
    at = _page(monkeypatch, published, level="grid", scope=f"{first['district']}/{first['street']}", w_vanguard="0")
    assert not at.exception
    table = _whatif_table(at).set_index("编码")
    everywhere = _published(published, "grid")
    assert set(table.index) == set(inside) and len(table) < len(everywhere)
    assert int(at.metric[0].value) == everywhere["composite_rank"].notna().sum()  # the summary is the level's
    m = _run_methodology(published)
    level = whatif.recompute(m, {"vanguard": 0.0}, _values(published, "grid")).set_index("unit_id")
    assert (table["模拟排名"].astype(int) == level.loc[table.index, "composite_rank"].astype(int)).all()


def test_a_year_s_whatif_with_the_run_s_weights_moves_nobody(monkeypatch, published):
    """For a year the page recomputes each quarter and averages them as the engine does: with
    the run's own weights every unit keeps its published annual rank and composite."""
    at = _page(monkeypatch, published, period="2025", level="community")
    assert not at.exception
    assert any("年度模拟" in i.value for i in at.info)
    table = _whatif_table(at)
    published_year = _published(published, "community", "2025")
    assert len(table) == len(published_year) and published_year["composite_rank"].notna().sum() >= 5
    assert (table["名次变化"] == "=").all()
    assert (table["发布排名"].dropna() == table["模拟排名"].dropna()).all()
    at.slider(key="w_vanguard").set_value(0.0).run()
    assert not at.exception and (_whatif_table(at)["名次变化"] != "=").any()

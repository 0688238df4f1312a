"""Dashboard pages over a published, computed demo city (AppTest), and the start page when
nothing is published."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import connect_read
from tests.signin import APP, signed_in


@pytest.fixture(scope="module")
def published(published_demo) -> Path:
    """The demo city published once for the session (tests that change it work on a copy)."""
    return published_demo


def _app(monkeypatch, db: Path, **params: str) -> AppTest:
    monkeypatch.setenv("PBI_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    signed_in(at)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _grid_scores(db: Path, period: str):
    with connect_read(db) as con:
        return con.execute(
            "SELECT * FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) AND period = ? AND level = 'grid'",
            [period],
        ).df()


def test_overview_shows_the_latest_quarter(monkeypatch, published):
    at = _app(monkeypatch, published)
    assert not at.exception
    assert at.title[0].value == "总览 · 2025Q4"
    assert "计算批次 1" in at.caption[0].value
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["网格", "计入党员", "服务记录", "群众诉求"]
    assert labels[4:] == ["党建综合指数", "堡垒指数", "先锋指数", "服务指数"]
    grades = at.dataframe[0].value
    scores = _grid_scores(published, "2025Q4")
    assert list(grades["等级"]) == ["好", "较好", "一般", "较差"]
    assert grades["单位数"].sum() == scores["grade"].notna().sum()
    red = at.dataframe[1].value
    assert red["排名"].iloc[0] == 1 and len(red) <= 5
    assert red["单位"].iloc[0] == scores.sort_values("composite_rank")["unit_name"].iloc[0]


def test_filters_restore_from_the_url_and_write_back(monkeypatch, published):
    at = _app(monkeypatch, published, period="2024Q3", level="street")
    assert not at.exception
    assert at.title[0].value == "总览 · 2024Q3"
    assert at.selectbox(key="f_period").value == "2024Q3" and at.selectbox(key="f_level").value == "street"
    assert "街道" in at.subheader[1].value
    at.selectbox(key="f_period").set_value("2025Q1").run()
    assert at.title[0].value == "总览 · 2025Q1" and at.query_params["period"] in ("2025Q1", ["2025Q1"])


def test_unknown_filter_values_fall_back(monkeypatch, published):
    at = _app(monkeypatch, published, period="1999Q1", level="galaxy")
    assert not at.exception and at.title[0].value == "总览 · 2025Q4"


def test_english(monkeypatch, published):
    at = _app(monkeypatch, published, lang="en")
    assert not at.exception and at.title[0].value == "Overview · 2025Q4"
    assert [m.label for m in at.metric][:2] == ["Grids", "Members counted"]


def test_a_new_computation_shows_up_without_restart(monkeypatch, published, tmp_path):
    db = tmp_path / "pbi.duckdb"
    shutil.copyfile(published, db)
    shutil.copyfile(published.with_name("pbi.scores.duckdb"), tmp_path / "pbi.scores.duckdb")
    at = _app(monkeypatch, db)
    assert "计算批次 1" in at.caption[0].value
    compute(db, load_methodology())  # published by replacing the file
    at.run()
    assert not at.exception and "计算批次 2" in at.caption[0].value


def test_nothing_published_says_how_to_load(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path / "none" / "pbi.duckdb")
    assert not at.exception
    assert at.title[0].value == "尚无已发布的数据"
    assert "python -m pipelines load" in at.info[0].value
    assert "载入演示数据" not in [b.label for b in at.main.button]  # loading publishes for everyone: admins only
    monkeypatch.setenv("PBI_DB", str(tmp_path / "none" / "pbi.duckdb"))
    at = signed_in(AppTest.from_file(APP, default_timeout=60), "admin").run()
    assert [b.label for b in at.main.button] == ["载入演示数据"]


def test_rankings_table_and_downloads(monkeypatch, published):
    at = _app(monkeypatch, published, period="2025Q4", level="grid")
    at.switch_page("views/rankings.py").run()
    assert not at.exception
    assert at.title[0].value == "排名 · 网格 · 2025Q4"
    table = at.dataframe[0].value
    scores = _grid_scores(published, "2025Q4").dropna(subset=["composite_rank"]).sort_values("composite_rank")
    assert len(table) == len(scores) and table["排名"].iloc[0] == 1
    assert list(table["编码"]) == list(scores["unit_id"])
    lists = [",".join(v) for v in table["榜单"]]  # coloured labels: a list of at most one
    assert set(lists) <= {"红榜", "黑榜", ""} and "红榜" in lists
    red = scores[scores["list"] == "红榜"]["unit_id"]
    assert {c for c, v in zip(table["编码"], lists, strict=True) if v == "红榜"} == set(red)
    grades = [",".join(v) for v in table["等级"]]
    assert grades == scores["grade"].fillna("").tolist()
    assert table["名次变化"].str.fullmatch(r"↑\d+|↓\d+|=|—").all()
    assert table["排名区间（5%–95%）"].str.fullmatch(r"\d+(–\d+)?").all()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["下载 CSV", "下载 Excel"]


def test_rankings_within_grid_type(monkeypatch, published):
    at = _app(monkeypatch, published, level="grid", peer="1")
    at.switch_page("views/rankings.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "网格类型" in table.columns
    first = table.groupby("网格类型")["排名"].min()
    assert (first == 1).all() and len(first) >= 2  # every grid type has its own rank 1


def test_ranking_files_open(published, tmp_path, monkeypatch):
    """The downloads as a user gets them: CSV with BOM for Excel, and a real xlsx."""
    import pandas as pd

    from dashboard import tables

    monkeypatch.setenv("PBI_DB", str(published))
    with connect_read(published) as con:
        units = con.execute("SELECT * FROM unit_scores WHERE period = '2025Q4' AND level = 'street'").df()
    table = tables.rankings(units, peer=False)
    (tmp_path / "r.csv").write_bytes(tables.csv_bytes(table))
    (tmp_path / "r.xlsx").write_bytes(tables.xlsx_bytes(table, "排名"))
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_excel(tmp_path / "r.xlsx", engine="calamine")
    assert list(back.columns) == list(table.columns) and len(back) == len(table)
    assert back.iloc[:, 0].tolist() == table.iloc[:, 0].tolist()


def test_data_quality_ledger_and_quarantine(monkeypatch, published):
    at = _app(monkeypatch, published)
    at.switch_page("views/quality.py").run()
    assert not at.exception
    ledger = at.dataframe[0].value
    assert (ledger["读取行数"] == ledger["加载"] + ledger["隔离"] + ledger["未变"]).all()
    rows = at.dataframe[1].value
    with connect_read(published) as con:
        held = con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
    assert len(rows) == held > 100
    assert not rows["值"].astype(str).str.fullmatch(r"\d{17}[\dX]").any()  # ID numbers only masked
    at.multiselect[0].set_value(["services"]).run()
    services = at.dataframe[1].value
    assert 0 < len(services) < held and set(services["类型"]) == {"服务记录"}
    at.multiselect[1].set_value(["unknown_grid"]).run()
    assert at.dataframe[1].value["原因"].str.startswith("未知网格编码").all()

"""Scope, index and grid-type filters, the unit profile, trends and members pages (AppTest
over the published demo city), and the score decomposition behind the profile."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.engine.explain import contributions
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import connect_read
from tests.signin import app

SCOPE = "西湖区/大关街道"


def _app(monkeypatch, db: Path, page: str | None = None, **params: str) -> AppTest:
    at = app(monkeypatch, db, page, **params)
    assert not at.exception, at.exception
    return at


def _sql(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute(sql, params or []).df()


def _grid_paths(db: Path) -> dict[str, str]:
    grids = _sql(db, "SELECT grid_id, district || '/' || street || '/' || community AS path FROM grids")
    return dict(zip(grids["grid_id"], grids["path"], strict=True))


def _real_names(db: Path) -> set[str]:
    return set(_sql(db, "SELECT DISTINCT name FROM members WHERE length(name) >= 2")["name"])


def _no_clear_names(frames: list[pd.DataFrame], names: set[str]) -> None:
    for frame in frames:
        for column in frame.columns:
            cells = set(frame[column].astype(str))
            assert not cells & names, f"unmasked name in {column}"


def test_contributions_add_up_to_every_published_composite(published_demo):
    """The profile's decomposition is exact: per unit, the indicators' contributions sum to
    the published composite, and each index's contributions to the index (times its share)."""
    m = load_methodology()
    wide = _sql(
        published_demo,
        """SELECT i.*, u.fortress, u.vanguard, u.service, u.composite FROM indicator_scores i
           JOIN unit_scores u USING (run_id, period, level, unit_id)
           WHERE u.period = '2025Q4' AND u.level IN ('grid', 'community') AND u.composite IS NOT NULL""",
    )
    assert len(wide) > 50
    codes = [i.code for i in m.indicators]
    worst = 0.0
    for _, row in wide.iterrows():
        scores = {c: (None if pd.isna(row[f"{c}_score"]) else row[f"{c}_score"]) for c in codes}
        scores |= {k: row[k] for k in ("fortress", "vanguard", "service")}
        parts = contributions(m.tree(), scores, "composite")
        worst = max(worst, abs(sum(p["contribution"] for p in parts) - row["composite"]))
        for index in ("fortress", "vanguard", "service"):
            mine = [p for p in parts if p["parent"] == index]
            assert sum(p["share_parent"] for p in mine if p["score"] is not None) == pytest.approx(1.0)
            assert sum(p["share_parent"] * p["score"] for p in mine if p["score"] is not None) == pytest.approx(
                row[index], abs=1e-9
            )
        for p in parts:  # gain: what reaching the upper goalpost would add
            assert p["gain"] == pytest.approx(p["share"] * (100 - (p["score"] or 0)) if p["share"] else 0.0)
    assert worst < 1e-9


def test_contributions_by_hand():
    """Two indices of two indicators; B2 missing (skipped): A = (0.75·80 + 0.25·40) = 70,
    B = B1 = 50, composite = 60; A1 contributes ½·¾·80 = 30 and could add ½·¾·20 = 7.5."""
    from pipelines.engine.composite import Node

    tree = [
        Node("A1", "A", 1, 3.0, normalise="goalposts", lo=0, hi=1),
        Node("A2", "A", 1, 1.0, normalise="goalposts", lo=0, hi=1),
        Node("B1", "B", 1, 1.0, normalise="goalposts", lo=0, hi=1),
        Node("B2", "B", 1, 1.0, normalise="goalposts", lo=0, hi=1),
        Node("A", "top", 2),
        Node("B", "top", 2),
        Node("top", None, 3),
    ]
    parts = {p["code"]: p for p in contributions(tree, {"A1": 80, "A2": 40, "B1": 50, "A": 70, "B": 50}, "top")}
    assert parts["A1"]["contribution"] == pytest.approx(30) and parts["A1"]["gain"] == pytest.approx(7.5)
    assert parts["B1"]["share"] == pytest.approx(0.5) and parts["B2"]["share"] == 0
    assert sum(p["contribution"] for p in parts.values()) == pytest.approx(60)


def test_scope_restricts_every_level_and_keeps_published_ranks(monkeypatch, published_demo):
    paths = _grid_paths(published_demo)
    at = _app(monkeypatch, published_demo, "rankings", level="grid", scope=SCOPE)
    table = at.dataframe[0].value
    assert at.selectbox(key="f_district").value == "西湖区" and at.selectbox(key="f_street").value == "大关街道"
    assert 0 < len(table) < len(paths)
    assert {paths[g] for g in table["编码"]} <= {p for p in paths.values() if p.startswith(SCOPE + "/")}
    published = _sql(
        published_demo,
        "SELECT unit_id, composite_rank FROM unit_scores WHERE run_id = 1 AND period = '2025Q4' AND level = 'grid'",
    ).set_index("unit_id")["composite_rank"]
    assert (table["排名"].to_numpy() == published.loc[table["编码"]].to_numpy()).all()
    assert table["排名"].iloc[0] > 1 or table["编码"].iloc[0] == published.idxmin()
    # communities in scope; a level above the scope is not offered
    at = _app(monkeypatch, published_demo, "rankings", level="community", scope=SCOPE)
    assert all(u.startswith(SCOPE + "/") for u in at.dataframe[0].value["编码"])
    assert "district" not in at.selectbox(key="f_level").options and "city" not in at.selectbox(key="f_level").options


def test_scope_chosen_in_the_sidebar_goes_to_the_url(monkeypatch, published_demo):
    at = _app(monkeypatch, published_demo, "rankings", level="community")
    at.selectbox(key="f_district").set_value("西湖区").run()
    at.selectbox(key="f_street").set_value("白杨街道").run()
    assert at.query_params["scope"] in ("西湖区/白杨街道", ["西湖区/白杨街道"])
    assert all(u.startswith("西湖区/白杨街道/") for u in at.dataframe[0].value["编码"])
    at.selectbox(key="f_district").set_value("").run()  # back to the whole city
    assert "scope" not in at.query_params and "f_street" not in [s.key for s in at.selectbox]


def test_unknown_scope_falls_back_to_the_city(monkeypatch, published_demo):
    at = _app(monkeypatch, published_demo, "rankings", level="street", scope="火星区/无名街道")
    assert at.selectbox(key="f_district").value == "" and len(at.dataframe[0].value) == 2


def test_rankings_by_index_and_grid_type(monkeypatch, published_demo):
    at = _app(monkeypatch, published_demo, "rankings", level="grid", index="fortress")
    table = at.dataframe[0].value
    assert "按堡垒指数排名" in at.caption[0].value
    assert table["排名"].is_monotonic_increasing and table["堡垒指数"].is_monotonic_decreasing
    kinds = _sql(published_demo, "SELECT DISTINCT peer_class FROM unit_scores WHERE level = 'grid'")["peer_class"]
    kind = sorted(kinds.dropna())[0]
    at = _app(monkeypatch, published_demo, "rankings", level="grid", peer_class=kind)
    codes = set(at.dataframe[0].value["编码"])
    expected = _sql(
        published_demo,
        "SELECT unit_id FROM unit_scores WHERE run_id = 1 AND period = '2025Q4' AND level = 'grid' "
        "AND peer_class = ? AND composite_rank IS NOT NULL",
        [kind],
    )
    assert codes == set(expected["unit_id"])


def _table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The page's first table with these columns (the profile's tables, whatever their order)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def test_unit_profile_from_the_url(monkeypatch, published_demo):
    unit = _sql(
        published_demo,
        "SELECT * FROM unit_scores WHERE run_id = 1 AND period = '2025Q3' AND level = 'grid' "
        "AND composite_rank IS NOT NULL ORDER BY composite_rank DESC LIMIT 1",
    ).iloc[0]
    at = _app(monkeypatch, published_demo, "profile", period="2025Q3", level="grid", unit=unit["unit_id"])
    assert at.title[0].value == f"{unit['unit_name']} · 2025Q3"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["党建综合指数"] == f"{unit['composite']:.1f}"
    assert metrics["综合排名"] == f"{unit['composite_rank']} / {unit['ranked_units']}"
    indicators = _table(at, "指标", "失分")
    # methodology v1.2: 12 indicators (F6 任务完成率 from the demo city's task lists)
    assert len(indicators) == 12 and indicators["指标"].iloc[0].startswith("F1 ")
    assert indicators["指标"].str.startswith("F6 ").sum() == 1
    assert indicators["贡献（分）"].sum() == pytest.approx(unit["composite"], abs=0.06)  # rounded to 0.01 each
    gains = [m.value for m in at.markdown if "综合指数可提高" in m.value]
    lost = indicators.sort_values("失分", ascending=False)
    assert len(gains) == 3 and lost["指标"].iloc[0] in gains[0]
    history = _table(at, "期间")
    assert history["期间"].iloc[0] == "2025Q4" and len(history) == 8
    tiers = _table(at, "党员数")
    members = _sql(
        published_demo,
        "SELECT count(*) AS n FROM member_scores_v WHERE run_id = 1 AND period = '2025Q3' AND grid_id = ?",
        [unit["unit_id"]],
    )["n"].iloc[0]
    assert tiers["党员数"].sum() == members > 0
    services, demands = _table(at, "网格", "党员", "时长（小时）"), _table(at, "网格", "办结层级")
    assert 0 < len(services) <= 20 and set(services["网格"]) == {unit["unit_id"]}
    assert services["日期"].str.fullmatch(r"2025年(7|8|9)月\d+日").all()
    assert set(demands["网格"]) <= {unit["unit_id"]}
    _no_clear_names([d.value for d in at.dataframe], _real_names(published_demo))
    assert services["党员"].str.contains(r"\*").all()


def test_profile_of_a_community_and_unknown_unit(monkeypatch, published_demo):
    community = _sql(published_demo, "SELECT unit_id FROM unit_scores WHERE level = 'community' LIMIT 1")["unit_id"][0]
    at = _app(monkeypatch, published_demo, "profile", level="community", unit=community, lang="en")
    assert at.title[0].value.startswith(community.rsplit("/", 1)[-1])
    assert at.subheader[0].value == "Indicators"
    grids = _sql(
        published_demo, "SELECT grid_id FROM grids WHERE district || '/' || street || '/' || community = ?", [community]
    )
    services = _table(at, "Grid", "Hours")
    assert set(services["Grid"]) <= set(grids["grid_id"]) and len(services) > 0
    at = _app(monkeypatch, published_demo, "profile", level="grid", unit="' OR 1=1 --")
    assert at.query_params["unit"] != "' OR 1=1 --"  # an unknown unit falls back to the first in scope


def test_trends_units_from_the_url_and_warnings(monkeypatch, published_demo):
    units = _sql(
        published_demo,
        "SELECT unit_id FROM unit_scores WHERE run_id = 1 AND level = 'community' AND period = '2025Q4' LIMIT 2",
    )["unit_id"].tolist()
    at = _app(monkeypatch, published_demo, "trends", level="community", units=",".join(units))
    assert at.title[0].value == "趋势 · 党建综合指数 · 社区"
    assert at.multiselect(key="t_units").value == units
    spec = at.get("plotly_chart")[0].proto.spec
    assert spec.count('"name"') >= 3  # the mean and both units
    scores = _sql(
        published_demo,
        "SELECT unit_id, period, composite, yellow_card FROM unit_scores WHERE run_id = 1 AND level = 'grid' "
        "ORDER BY unit_id, period",
    )
    wide = scores.pivot(index="unit_id", columns="period", values="composite")
    declined = set(wide.index[(wide["2025Q4"] < wide["2025Q3"]) & (wide["2025Q3"] < wide["2025Q2"])])
    yellow = set(scores[(scores["period"] == "2025Q4") & scores["yellow_card"]]["unit_id"])
    at = _app(monkeypatch, published_demo, "trends", level="grid")
    warned = at.dataframe[0].value
    assert set(warned["编码"]) == declined | yellow and len(declined) > 0
    assert warned["预警原因"].str.len().gt(0).all()


def test_members_in_scope(monkeypatch, published_demo):
    paths = _grid_paths(published_demo)
    at = _app(monkeypatch, published_demo, "members", scope=SCOPE)
    counted = _sql(
        published_demo,
        "SELECT grid_id, services, claims, tier FROM member_scores_v WHERE run_id = 1 AND period = '2025Q4'",
    )
    mine = counted[counted["grid_id"].map(paths).str.startswith(SCOPE + "/")]
    tiers = at.dataframe[0].value
    assert tiers["党员数"].sum() == len(mine) and list(tiers["等次"]) == ["先锋", "优秀", "合格", "待激励"]
    assert tiers.set_index("等次")["党员数"].to_dict() == mine["tier"].value_counts().to_dict()
    top, idle = at.dataframe[1].value, at.dataframe[2].value
    assert top["先锋分"].astype(float).is_monotonic_decreasing and len(top) == 50
    assert (idle["服务次数"] == 0).all() and (idle["认领办结"] == 0).all()
    assert {paths[g] for g in pd.concat([top["网格"], idle["网格"]])} <= {
        p for p in paths.values() if p.startswith(SCOPE + "/")
    }
    _no_clear_names([top, idle], _real_names(published_demo))
    assert at.metric[2].value == f"{int(((mine['services'] == 0) & (mine['claims'] == 0)).sum()):,}"
    member = int(top["党员序号"].iloc[0])
    at = _app(monkeypatch, published_demo, "members", scope=SCOPE, member=str(member))
    identity, history = at.dataframe[3].value, at.dataframe[4].value
    assert identity["党员"].iloc[0] == top["党员"].iloc[0] and "*" in identity["党员"].iloc[0]
    assert re.fullmatch(r"\d{3}\*{4}\d{4}", identity["手机号（脱敏）"].iloc[0])
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", identity["身份证号（脱敏）"].iloc[0])
    assert len(history) >= 1 and history["期间"].is_monotonic_increasing
    assert re.fullmatch(r"\d{4}Q\d", history["期间"].iloc[-1])


def test_overview_of_a_scope(monkeypatch, published_demo):
    at = _app(monkeypatch, published_demo, scope=SCOPE, level="community")
    street = _sql(
        published_demo,
        "SELECT composite FROM unit_scores WHERE run_id = 1 AND level = 'street' AND unit_id = ? AND period = '2025Q4'",
        [SCOPE],
    )["composite"].iloc[0]
    assert f"{SCOPE}指数" in at.subheader[0].value
    assert {m.label: m.value for m in at.metric}["党建综合指数"] == f"{street:.1f}"
    grids = sum(1 for p in _grid_paths(published_demo).values() if p.startswith(SCOPE + "/"))
    assert {m.label: m.value for m in at.metric}["网格"] == f"{grids:,}"


def test_results_older_than_the_warnings_view_say_to_recompute(monkeypatch, published_demo, tmp_path):
    import shutil

    import duckdb

    from pipelines.engine.scores_db import scores_path

    db = tmp_path / "pbi.duckdb"
    shutil.copyfile(published_demo, db)
    shutil.copyfile(scores_path(published_demo), scores_path(db))
    with duckdb.connect(str(scores_path(db))) as con:
        con.execute("DROP VIEW unit_warnings")
    at = _app(monkeypatch, db, "trends", level="grid")
    assert "python -m pipelines compute" in at.info[0].value

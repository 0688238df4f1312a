"""Years and adjustments in the dashboard (AppTest) over the city of two districts, computed with
three approved or pending entries as of October 2025 (so 2025 is year-to-date): the period
selector's years, the rankings' composite before and after adjustment, the profile's applied
entries with their evidence, and the adjustments page per role — an administrator enters, an
approver approves, a unit user sees only approved entries in scope, and a request for a unit
outside the scope is refused by the data layer."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import streamlit as st

from dashboard import data
from dashboard.viewer import KEY, OutOfScope, Viewer
from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import connect_read
from pipelines.evaluation import adjustments as register
from tests.signin import app, capture_downloads

HOME = "上城区"  # the demo users' district
EVIDENCE = b"%PDF-1.4 award certificate"


def _grid(db: Path, inside: bool) -> str:
    """A grid of HOME (or of the other district) whose 2025Q4 composite leaves room for +3."""
    with connect_read(db) as con:
        return con.execute(
            "SELECT u.unit_id FROM unit_scores u JOIN grids g ON g.grid_id = u.unit_id "
            "WHERE u.level = 'grid' AND u.period = '2025Q4' AND u.composite < 90 AND (g.district = ?) = ? "
            "ORDER BY u.unit_id LIMIT 1",
            [HOME, inside],
        ).fetchone()[0]


@pytest.fixture(scope="module")
def city(two_districts, two_districts_users, tmp_path_factory) -> dict:
    """A copy of the two districts with entries: a bonus (+3, evidence) on a HOME grid and a
    deduction (−2) on a grid of the other district, both approved; a veto on a HOME community,
    pending. Computed as of 2025-10-15, so the run applied the first two and 2025 is year-to-date."""
    folder = tmp_path_factory.mktemp("years_adjustments")
    db = folder / "pbi.duckdb"
    shutil.copyfile(two_districts, db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(two_districts_users))
        patch.setenv("PBI_AUDIT", str(folder / "audit.duckdb"))
        home, away = _grid(two_districts, True), _grid(two_districts, False)
        with connect_read(two_districts) as con:
            community = con.execute(
                "SELECT district || '/' || street || '/' || community FROM grids WHERE district = ? ORDER BY 1 LIMIT 1",
                [HOME],
            ).fetchone()[0]
        bonus = register.add(
            db, level="grid", unit=home, period="2025Q4", kind="加分", points=3, reason="获市级表彰", by="admin",
            evidence_bytes=EVIDENCE, evidence_name="award.pdf",
        )  # fmt: skip
        deduction = register.add(
            db, level="grid", unit=away, period="2025Q4", kind="扣分", points=-2, reason="安全事故", by="admin"
        )
        veto = register.add(
            db, level="community", unit=community, period="2025Q4", kind="一票否决", points=0, reason="严重违纪",
            by="admin",
        )  # fmt: skip
        for entry in (bonus, deduction):
            register.approve(db, entry, by="approver")
        compute(db, load_methodology(), as_of=dt.date(2025, 10, 15))
    return {"db": db, "home": home, "away": away, "bonus": bonus, "deduction": deduction, "veto": veto}


def _scores(db: Path, period: str, level: str):
    with connect_read(db) as con:
        return con.execute(
            "SELECT * FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) AND period = ? AND level = ?",
            [period, level],
        ).df()


def test_the_period_selector_offers_years_after_quarters(monkeypatch, city):
    at = app(monkeypatch, city["db"])
    options = at.selectbox(key="f_period").options
    quarters = [o for o in options if "Q" in o]
    assert options[: len(quarters)] == quarters and len(quarters) >= 4
    assert options[len(quarters) :] == ["2024年 年度考评", "2025年 年度累计（进行中）"]
    assert at.title[0].value == "总览 · 2025Q4"  # a quarter stays the default

    at = app(monkeypatch, city["db"], period="2025")
    assert not at.exception
    assert at.title[0].value == "总览 · 2025年 年度累计（进行中）"
    assert any("年度累计" in w.value for w in at.warning)
    at = app(monkeypatch, city["db"], period="2024", lang="en")
    assert at.title[0].value == "Overview · 2024 annual evaluation"


@pytest.mark.parametrize("page", ["rankings", "profile", "map", "trends", "members", "bigscreen", "methodology"])
def test_every_page_runs_for_a_year(monkeypatch, city, page):
    at = app(monkeypatch, city["db"], page, period="2025", level="community")
    assert not at.exception
    if page == "methodology":  # the year's what-if: its quarters recomputed and averaged
        assert any("年度模拟" in i.value for i in at.info)
        assert len(at.dataframe) >= 1


def test_rankings_show_the_composite_before_and_after_adjustment(monkeypatch, city):
    at = app(monkeypatch, city["db"], "rankings", period="2025Q4", level="grid")
    assert not at.exception
    table = at.dataframe[0].value.set_index("编码")
    published = _scores(city["db"], "2025Q4", "grid").set_index("unit_id")
    home, away = city["home"], city["away"]
    assert table.loc[home, "加减分"] == 3 and table.loc[away, "加减分"] == -2
    assert table.loc[home, "党建综合指数"] == pytest.approx(table.loc[home, "调整前综合指数"] + 3)
    assert table.loc[home, "调整前综合指数"] == pytest.approx(published.loc[home, "composite_raw"])
    others = table.drop(index=[home, away])
    assert (others["加减分"] == 0).all() and (others["党建综合指数"] == others["调整前综合指数"]).all()
    assert any("加减分后" in c.value for c in at.caption)


def test_the_profile_lists_the_applied_adjustments_with_evidence(monkeypatch, city):
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, city["db"], "profile", period="2025Q4", level="grid", unit=city["home"])
    assert not at.exception
    applied = next(d.value for d in at.dataframe if "事由" in d.value.columns)
    assert list(applied["类型"]) == ["加分"] and list(applied["分值"]) == ["+3"]
    assert list(applied["事由"]) == ["获市级表彰"] and list(applied["证据"]) == ["award.pdf"]
    assert applied["审批人 · 时间"].iloc[0].startswith("approver · ")
    assert applied["录入人 · 时间"].iloc[0].startswith("admin · ")
    assert payloads["award.pdf"] == EVIDENCE
    assert any("调整前综合指数" in c.value for c in at.caption)


def test_an_administrator_enters_an_adjustment(monkeypatch, city):
    at = app(monkeypatch, city["db"], "adjustments", user="admin")
    assert not at.exception
    at.selectbox(key="adj_level").set_value("grid").run()
    at.selectbox(key="adj_period").set_value("2025Q3").run()
    at.selectbox(key="adj_unit").set_value(city["home"])
    at.radio(key="adj_kind").set_value("扣分")
    at.number_input(key="adj_points").set_value(1.5)
    at.text_area(key="adj_reason").input("台账缺失")
    at.button(key="adj_submit").click().run()
    assert not at.exception and not at.error
    entries = register.listing(city["db"], period="2025Q3")
    entry = entries[entries["reason"] == "台账缺失"].iloc[0]
    assert (entry["unit_id"], entry["kind"], entry["points"]) == (city["home"], "扣分", -1.5)
    assert (entry["state"], entry["entered_by"]) == ("待审批", "admin")
    assert any("待审批" in s.value for s in at.success)


def test_a_refused_entry_is_an_error_not_a_traceback(monkeypatch, city):
    at = app(monkeypatch, city["db"], "adjustments", user="admin")
    at.button(key="adj_submit").click().run()  # no reason
    assert not at.exception and at.error


def test_an_approver_approves_and_the_page_says_when_it_counts(monkeypatch, city):
    at = app(monkeypatch, city["db"], "adjustments", user="approver")
    assert not at.exception
    assert "adj_submit" not in [b.key for b in at.button]  # no admin right: nothing to enter
    assert any("下一次计算" in i.value for i in at.info)
    at.selectbox(key="adj_pending").set_value(city["veto"])
    at.button(key="adj_approve").click().run()
    assert not at.exception and not at.error
    state = register.listing(city["db"]).set_index("adjustment_id").loc[city["veto"]]
    assert (state["state"], state["decided_by"]) == ("已生效", "approver")
    table = at.dataframe[-1].value.set_index("编号")
    assert table.loc[city["veto"], "状态"] == "已生效"
    assert table.loc[city["bonus"], "最新计算已计入"] == "是" and table.loc[city["veto"], "最新计算已计入"] == ""


def test_a_unit_user_sees_only_approved_entries_in_scope(monkeypatch, city):
    at = app(monkeypatch, city["db"], "adjustments", user="district")
    assert not at.exception
    assert not {"adj_submit", "adj_approve", "adj_revoke"} & {b.key for b in at.button}
    table = at.dataframe[-1].value
    assert set(table["状态"]) == {"已生效"}
    assert city["bonus"] in set(table["编号"]) and city["deduction"] not in set(table["编号"])
    assert all(c.startswith(HOME) or c.isdigit() for c in table["编码"])


@pytest.fixture
def as_viewer(city, monkeypatch):
    monkeypatch.setenv("PBI_DB", str(city["db"]))
    st.cache_data.clear()

    def become(**rights: bool) -> data.Stamp:
        st.session_state[KEY] = Viewer("district", "区级", HOME, pii=False, **{"admin": False, **rights})
        return data.stamp()

    yield become
    st.session_state.pop(KEY, None)
    st.cache_data.clear()


def test_a_crafted_request_outside_the_scope_is_refused(as_viewer, city, two_districts_users, monkeypatch):
    monkeypatch.setenv("PBI_USERS", str(two_districts_users))
    pending = register.add(  # pending whatever the other tests of this module approve
        city["db"], level="grid", unit=city["home"], period="2025Q3", kind="加分", points=1, reason="待审", by="admin"
    )
    before = len(register.listing(city["db"]))
    s = as_viewer(admin=True, approve=True)
    with pytest.raises(OutOfScope):  # a unit of the other district
        data.add_adjustment(s, level="grid", unit_id=city["away"], period="2025Q4", kind="加分", points=1, reason="x")
    with pytest.raises(OutOfScope):  # the city above the district
        data.add_adjustment(s, level="city", unit_id="全市", period="2025Q4", kind="加分", points=1, reason="x")
    with pytest.raises(OutOfScope):  # an entry of the other district
        data.revoke_adjustment(s, city["deduction"], "x")
    with pytest.raises(OutOfScope):
        data.adjustment_evidence(s, city["deduction"])
    s = as_viewer()  # no right at all
    with pytest.raises(OutOfScope):
        data.add_adjustment(s, level="grid", unit_id=city["home"], period="2025Q4", kind="加分", points=1, reason="x")
    with pytest.raises(OutOfScope):
        data.approve_adjustment(s, city["bonus"])
    with pytest.raises(OutOfScope):  # a pending entry of the district: not in force, not applied
        data.adjustment_evidence(s, pending)
    assert data.adjustment_evidence(s, city["bonus"])() == EVIDENCE  # in force and applied
    assert len(register.listing(city["db"])) == before
    assert set(data.adjustment_entries(s)["state"]) <= {"已生效"}

"""Objections from a unit's profile (AppTest), over a copy of the demo city whose third-to-last
quarter is published and second-to-last on public notice: during notice the community user files
one against a grid of their own and sees it under 我的异议 as 待处理, then the administrator's
answer; a published period offers no form; a unit outside the user's scope is refused."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.engine.scores_db import connect_read
from pipelines.evaluation import objections, review
from pipelines.serve import periods as serve_periods
from pipelines.serve import runs
from tests.signin import app, signed_in

T0 = dt.datetime(2026, 1, 5, 9, 0)
NOTICE = (dt.date(2026, 1, 10), dt.date(2026, 1, 14))
OUTSIDE_GRID = "330106002001002"  # 柏湾苑网格, 西湖区/大关街道/西岭社区: not the community user's (江亭社区)


@pytest.fixture(scope="module")
def city(published_demo, demo_users, tmp_path_factory) -> dict:
    """The demo city copied, its last quarters but one published and on notice."""
    folder = tmp_path_factory.mktemp("objection_page")
    shutil.copytree(published_demo.parent, folder / "warehouse")
    db = folder / "warehouse" / published_demo.name
    with connect_read(db) as con:
        quarters = [p for p in serve_periods.periods(con, runs.resolve(con)) if "Q" in p]
    published, notice = quarters[-3:-1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(demo_users))
        patch.setenv("PBI_AUDIT", str(folder / "audit.duckdb"))
        review.submit(db, published, by="admin", at=T0)
        review.approve(db, published, by="approver", at=T0)
        review.publish(db, published, by="admin", at=T0 + dt.timedelta(days=6))
        review.submit(db, notice, by="admin", at=T0)
        review.approve(db, notice, by="approver", notice_start=NOTICE[0], at=T0)
    return {"db": db, "published": published, "notice": notice}


def _mine(at: AppTest):
    """The table under 我的异议 (the last table of the profile)."""
    table = at.dataframe[-1].value
    assert "处理说明" in table.columns
    return table


def test_during_notice_a_community_user_files_an_objection_and_reads_the_answer(monkeypatch, city):
    db = city["db"]
    at = app(monkeypatch, db, "profile", user="community", level="grid")
    assert not at.exception and at.selectbox(key="f_period").value == city["notice"]
    unit = at.selectbox(key="p_unit").value
    assert any("正在公示" in c.value and "2026年1月10日" in c.value for c in at.caption)
    assert any(c.value == "您尚未提出异议。" for c in at.caption)

    # A blank objection: the register's refusal, word for word, and nothing filed.
    at.button(key="obj_submit").click().run()
    assert [e.value for e in at.error] == ["异议内容不能为空 (the objection is required)"]
    assert objections.listing(db).empty

    at.text_area(key="obj_text").input("网格党员服务时长统计有遗漏").run()
    at.button(key="obj_submit").click().run()
    assert not at.exception and not at.error
    filed = objections.listing(db)
    assert len(filed) == 1
    row = filed.iloc[0]
    assert (row.period, row.level, row.unit_id, row.filed_by) == (city["notice"], "grid", unit, "community")
    assert at.success[0].value == f"已提交第 {int(row.objection_id)} 条异议，待管理员处理。"
    assert at.text_area(key="obj_text").value == ""  # emptied for the next one
    mine = _mine(at)
    assert mine["状态"].tolist() == ["待处理"] and mine["异议内容"].tolist() == ["网格党员服务时长统计有遗漏"]
    assert mine["处理说明"].tolist() == [""] and mine["处理人 · 时间"].tolist() == ["—"]

    objections.resolve(db, int(row.objection_id), by="admin", accept=False, note="经核实，服务时长已全部计入")
    at.run()
    mine = _mine(at)
    assert mine["状态"].tolist() == ["未采纳"]
    assert mine["处理说明"].tolist() == ["经核实，服务时长已全部计入"]
    assert mine["处理人 · 时间"].iloc[0].startswith("admin · ")

    # Another user sees none of the community user's objections as theirs.
    other = app(monkeypatch, db, "profile", user="street", level="grid")
    assert any(c.value == "您尚未提出异议。" for c in other.caption)


def test_outside_notice_no_form_is_offered(monkeypatch, city):
    at = app(monkeypatch, city["db"], "profile", user="community", level="grid", period=city["published"])
    assert not at.exception
    assert not [w for w in at.text_area if w.key == "obj_text"]
    assert not [b for b in at.button if b.key == "obj_submit"]
    assert any(c.value == f"异议只在公示期间受理；{city['published']} 目前不在公示期。" for c in at.caption)


def test_a_unit_outside_the_scope_is_refused(monkeypatch, city):
    db = city["db"]
    before = len(objections.listing(db))
    # A crafted link to another community's grid: said, and the form stays on the user's own unit.
    at = app(monkeypatch, db, "profile", user="community", level="grid", unit=OUTSIDE_GRID)
    assert at.warning and "不在您的权限范围内" in at.warning[0].value
    assert at.selectbox(key="p_unit").value != OUTSIDE_GRID
    assert not any(OUTSIDE_GRID in option for option in at.selectbox(key="p_unit").options)
    # Asked directly of the dashboard's register functions, as the community user: the register refuses.
    monkeypatch.setenv("PBI_DB", str(db))
    probe = signed_in(AppTest.from_function(_file_outside, args=(city["notice"], OUTSIDE_GRID)), "community")
    probe.run()
    assert not probe.exception
    assert [e.value for e in probe.error] == [
        f"单位 {OUTSIDE_GRID} 不在用户 community 的范围内 (the unit is outside the user's scope)"
    ]
    assert len(objections.listing(db)) == before


def _file_outside(period: str, grid: str) -> None:
    """A page that files an objection against `grid` as the signed-in viewer."""
    import streamlit as st

    from dashboard import auth, data
    from dashboard import followup_data as follow

    auth.gate()
    try:
        follow.file_objection(data.stamp(), period=period, level="grid", unit_id=grid, text="不在范围内的单位")
    except follow.ReviewError as refused:
        st.error(str(refused))

"""The review page (审核与公示, AppTest) over a copy of the demo city whose last four quarters
stand in every state: the first published, the second submitted by a user who also approves
(chief), the third on notice with an open objection, the last a draft; and a second run, made by
copying the first with one grid of the third quarter graded down and black-listed, so that a
candidate has something to differ in. An administrator submits, an approver approves, the
submitter's own approval is refused with the register's reason, an objection is resolved, and a
unit user gets the page refused."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from pipelines.access import audit, users
from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.evaluation import objections, review
from pipelines.serve import periods as serve_periods
from pipelines.serve import runs
from tests.signin import PASSWORDS, app

T0 = dt.datetime(2026, 1, 5, 9, 0)


def _second_run(db) -> dict:
    """Run 2: the latest run's record, unit scores and periods copied (the fixture then changes one grid)."""
    with duckdb.connect(str(scores_path(db))) as con:
        (run,) = con.execute("SELECT max(run_id) FROM runs").fetchone()
        con.execute(
            "INSERT INTO runs SELECT * REPLACE (? AS run_id, computed_at + INTERVAL 1 MINUTE AS computed_at)"
            " FROM runs WHERE run_id = ?",
            [run + 1, run],
        )
        for table in ("unit_scores", "run_periods"):
            con.execute(
                f"INSERT INTO {table} SELECT * REPLACE (? AS run_id) FROM {table} WHERE run_id = ?", [run + 1, run]
            )
    return {"old": run, "new": run + 1}


@pytest.fixture(scope="module")
def city(published_demo, demo_users, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("review_page")
    shutil.copytree(published_demo.parent, folder / "warehouse")
    db = folder / "warehouse" / published_demo.name
    people = folder / "users.json"
    shutil.copyfile(demo_users, people)
    with connect_read(db) as con:
        quarters = [p for p in serve_periods.periods(con, runs.resolve(con)) if "Q" in p]
    published, waiting, notice, draft = quarters[-4:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(people))
        patch.setenv("PBI_AUDIT", str(folder / "audit.duckdb"))
        users.add("chief", "市级", "", PASSWORDS["admin"], admin=True, approve=True)
        review.submit(db, published, by="admin", at=T0)
        review.approve(db, published, by="approver", at=T0)
        review.publish(db, published, by="admin", at=T0 + dt.timedelta(days=6))
        review.submit(db, waiting, by="chief", at=T0)
        review.submit(db, notice, by="admin", at=T0)
        review.approve(db, notice, by="approver", at=T0)
        community = users.load()["community"].unit
        objection = objections.file(
            db, period=notice, level="community", unit_id=community, by="community", text_="本社区服务记录漏报", at=T0
        )
    two = _second_run(db)
    with duckdb.connect(str(scores_path(db))) as con:
        grid, name = con.execute(
            "SELECT unit_id, unit_name FROM unit_scores WHERE run_id = ? AND period = ? AND level = 'grid'"
            " ORDER BY composite_rank NULLS LAST, unit_id LIMIT 1",
            [two["new"], notice],
        ).fetchone()
        worst = con.execute(
            "SELECT grade FROM unit_scores WHERE run_id = ? AND period = ? AND level = 'grid'"
            " ORDER BY composite NULLS LAST LIMIT 1",
            [two["new"], notice],
        ).fetchone()[0]
        con.execute(
            "UPDATE unit_scores SET grade = ?, list = '黑榜' WHERE run_id = ? AND period = ? AND level = 'grid'"
            " AND unit_id = ?",
            [worst, two["new"], notice, grid],
        )
    return {
        "db": db,
        "users": people,
        "audit": folder / "audit.duckdb",
        "published": published,
        "waiting": waiting,
        "notice": notice,
        "draft": draft,
        "objection": objection,
        "grid_name": name,
        "worst": worst,
        **two,
    }


def _open(monkeypatch, city, user: str, **params: str):
    monkeypatch.setenv("PBI_USERS", str(city["users"]))
    monkeypatch.setenv("PBI_AUDIT", str(city["audit"]))
    return app(monkeypatch, city["db"], "review", user=user, **params)


def _states(at, period: str = "期间", state: str = "状态") -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(zip(table[period], table[state], strict=True))


def _pick(at, period: str):
    return at.selectbox(key="rvw_period").set_value(period).run()


def _buttons(at) -> set[str]:
    return {b.key for b in at.button if b.key and b.key.startswith("rvw_")}


def test_an_administrator_submits_and_an_approver_approves(monkeypatch, city):
    at = _open(monkeypatch, city, "admin")
    assert not at.exception and not at.error
    states = _states(at)
    assert states[city["published"]] == "已发布" and states[city["waiting"]] == "待审核"
    assert states[city["notice"]] == "公示中" and states[city["draft"]] == "草稿"
    table = at.dataframe[0].value.set_index("期间")
    assert table.loc[city["notice"], "待处理异议"] == 1 and table.loc[city["waiting"], "提交人"] == "chief"

    _pick(at, city["draft"])
    assert "尚无正式结果" in at.info[0].value  # no official run: the candidate's outline instead of a diff
    assert _buttons(at) == {"rvw_submit"}  # a draft can only be submitted
    at.button(key="rvw_submit").click().run()
    assert not at.exception
    assert [m.value for m in at.success] == [f"已提交：{city['draft']} 进入待审核。"]
    assert review.state(city["db"], city["draft"]).run == city["new"]  # the latest run by default
    assert _states(at)[city["draft"]] == "待审核"  # the register's change renewed the cache

    at = _open(monkeypatch, city, "approver")
    _pick(at, city["draft"])
    assert _buttons(at) == {"rvw_approve", "rvw_reject"}  # an approver who is not admin: only these
    at.button(key="rvw_approve").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == f"已审核通过：{city['draft']} 开始公示。"
    assert review.state(city["db"], city["draft"]).state == "公示中"
    assert _states(at)[city["draft"]] == "公示中"


def test_the_submitters_own_approval_is_refused_with_the_registers_reason(monkeypatch, city):
    at = _open(monkeypatch, city, "chief")
    assert at.selectbox(key="rvw_period").value == city["waiting"]  # the period awaiting review first
    assert {"rvw_approve", "rvw_reject", "rvw_withdraw"} <= _buttons(at)
    at.button(key="rvw_approve").click().run()
    assert not at.exception
    assert "提交人不能审核通过自己提交的结果" in at.error[0].value
    assert review.state(city["db"], city["waiting"]).state == "待审核"


def test_a_candidate_run_is_compared_with_the_official_one(monkeypatch, city):
    at = _open(monkeypatch, city, "admin")
    _pick(at, city["notice"])
    assert at.selectbox(key=f"rvw_run_{city['notice']}").value == city["old"]  # the run on notice
    assert "即" in at.info[0].value  # the official run itself: nothing to compare with
    at.selectbox(key=f"rvw_run_{city['notice']}").set_value(city["new"]).run()
    assert any(f"候选运行 #{city['new']} 对比运行 #{city['old']}" in m.value for m in at.markdown)
    summary = at.dataframe[2].value  # states, runs, then the diff's counts
    assert summary.to_dict("records") == [{"层级": "网格", "变化单位": 1, "等次变化": 1, "排名变化": 0, "榜单变化": 1}]
    grids = at.dataframe[3].value.iloc[0]
    assert grids["单位"] == city["grid_name"] and grids["等次"].endswith(f"→ {city['worst']}")
    assert grids["榜单"].endswith("→ 黑榜") and "→" not in str(grids["综合排名"])


def test_an_administrator_resolves_an_objection(monkeypatch, city):
    at = _open(monkeypatch, city, "admin")
    _pick(at, city["notice"])
    listed = at.dataframe[-1].value
    assert listed["处理结果"].tolist() == ["待处理"] and listed["异议内容"].tolist() == ["本社区服务记录漏报"]
    at.radio(key="rvw_resolve_accept").set_value(False)
    at.text_area(key="rvw_resolve_note").input("经核实，服务记录已完整导入")
    at.button(key="rvw_resolve").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == f"第 {city['objection']} 条异议已处理。"
    listed = at.dataframe[-1].value
    assert listed["处理结果"].tolist() == ["未采纳"] and listed["处理人"].tolist() == ["admin"]
    assert objections.listing(city["db"], period=city["notice"])["decision"].tolist() == ["reject"]
    assert _states(at)[city["notice"]] == "公示中" and at.dataframe[0].value["待处理异议"].sum() == 0


@pytest.mark.parametrize("user", ["community", "street"])
def test_a_unit_user_gets_the_page_refused(monkeypatch, city, user):
    at = _open(monkeypatch, city, user)
    assert [e.value for e in at.error] == ["该内容不在您的权限范围内。此次访问已记录。"]
    assert not at.dataframe and not at.title and not _buttons(at)
    log = audit.read()
    assert ((log["event"] == "access_denied") & (log["actor"] == user)).any()


def test_the_page_reads_in_english(monkeypatch, city):
    at = _open(monkeypatch, city, "approver", lang="en")
    assert not at.exception and not at.error
    assert at.title[0].value == "Review and notice"
    assert set(_states(at, "Period", "State").values()) <= {"draft", "in review", "on public notice", "published"}
    assert "published" in _states(at, "Period", "State").values()

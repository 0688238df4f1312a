"""Each period's official result in the dashboard (AppTest), over a copy of the demo city whose
last three quarters stand in three review states: the first published, the second on public
notice, the last a draft. A unit user is offered only the first two, and a crafted URL for the
draft (?period=, ?run=, ?draft=1) is refused and audited; an administrator sees the draft only
after switching to it, and then a 草稿 banner; the 公示中 banner shows the notice's dates and the
已发布 banner the publication's."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from pipelines.access import audit
from pipelines.engine.scores_db import connect_read
from pipelines.evaluation import review
from pipelines.serve import periods as serve_periods
from pipelines.serve import runs
from tests.signin import app

T0 = dt.datetime(2026, 1, 5, 9, 0)
NOTICE = (dt.date(2026, 1, 10), dt.date(2026, 1, 14))


@pytest.fixture(scope="module")
def city(published_demo, demo_users, tmp_path_factory) -> dict:
    """The demo city copied, with its last three quarters published, on notice and a draft."""
    folder = tmp_path_factory.mktemp("official_runs")
    shutil.copytree(published_demo.parent, folder / "warehouse")
    db = folder / "warehouse" / published_demo.name
    with connect_read(db) as con:
        quarters = [p for p in serve_periods.periods(con, runs.resolve(con)) if "Q" in p]
    published, notice, draft = quarters[-3:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(demo_users))
        patch.setenv("PBI_AUDIT", str(folder / "audit.duckdb"))
        review.submit(db, published, by="admin", at=T0)
        review.approve(db, published, by="approver", at=T0)
        review.publish(db, published, by="admin", at=T0 + dt.timedelta(days=6))
        review.submit(db, notice, by="admin", at=T0)
        review.approve(db, notice, by="approver", notice_start=NOTICE[0], at=T0)
    return {"db": db, "published": published, "notice": notice, "draft": draft}


def _denied() -> int:
    log = audit.read()
    return int((log["event"] == "access_denied").sum())


def test_a_unit_user_is_offered_only_official_periods(monkeypatch, city):
    at = app(monkeypatch, city["db"], user="community")
    assert not at.exception
    assert at.selectbox(key="f_period").options == [city["published"], city["notice"]]
    assert at.selectbox(key="f_period").value == city["notice"]  # the latest official quarter
    notice = at.info[0].value
    assert "公示中" in notice and "2026-01-10" in notice and "2026-01-14" in notice
    assert not any("草稿" in w.value for w in at.warning)
    assert not [w for w in at.toggle if w.key == "f_draft"]  # no draft switch for a unit user


def test_the_published_banner_shows_the_date(monkeypatch, city):
    at = app(monkeypatch, city["db"], user="community", period=city["published"])
    assert "已发布" in at.success[0].value and "2026-01-11" in at.success[0].value


@pytest.mark.parametrize("asked", ["period", "draft", "run"])
def test_a_crafted_url_for_the_draft_gets_nothing(monkeypatch, city, asked):
    params = {"period": city["draft"]} if asked == "period" else {asked: "1"}
    at = app(monkeypatch, city["db"], user="community", **params)
    assert [e.value for e in at.error] == ["该内容不在您的权限范围内。此次访问已记录。"]
    assert not at.dataframe and not at.metric and not at.title
    assert _denied() == 1


def test_an_administrator_sees_the_draft_only_after_switching(monkeypatch, city):
    at = app(monkeypatch, city["db"], user="admin")
    assert city["draft"] in at.selectbox(key="f_period").options
    assert at.selectbox(key="f_period").value == city["draft"]
    assert not at.metric and not at.dataframe  # no official run: nothing shown until the switch
    assert "尚无正式结果" in at.info[0].value
    at.toggle(key="f_draft").set_value(True).run()
    assert at.query_params["draft"] == "1"
    assert at.warning[0].value.startswith("草稿") and at.metric and at.title
    # The draft switch on a period on notice reads the latest run, here the one on notice: not a draft.
    at.selectbox(key="f_period").set_value(city["notice"]).run()
    assert "公示中" in at.info[0].value and not any(w.value.startswith("草稿") for w in at.warning)
    at.toggle(key="f_draft").set_value(False).run()
    assert "draft" not in at.query_params and "公示中" in at.info[0].value
    assert not any(w.value.startswith("草稿") for w in at.warning)


def test_a_unit_users_trends_hold_no_draft_period(monkeypatch, city):
    at = app(monkeypatch, city["db"], "trends", user="community", level="grid")
    assert not at.exception and not at.error
    shown = [e.proto.spec for e in at.get("plotly_chart")] + [e.value.to_csv() for e in at.dataframe]
    assert any(city["notice"] in part for part in shown)
    assert not any(city["draft"] in part for part in shown)


def test_before_any_review_everyone_reads_the_latest_run_marked_unreviewed(monkeypatch, published_demo):
    at = app(monkeypatch, published_demo, user="community")
    assert not at.exception and at.metric
    assert any("尚未经过审核发布流程" in c.value for c in at.sidebar.caption)
    at = app(monkeypatch, published_demo, user="admin")
    assert at.warning[0].value.startswith("草稿") and at.metric

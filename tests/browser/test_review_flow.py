"""A period's way from computed to official in a real browser (headless Chromium against
`streamlit run`): an administrator submits the latest quarter, another user with the approve
right approves it onto public notice (公示), a community user sees the notice banner and files
an objection from a unit's profile, the administrator resolves it and publishes, and the
community user then sees the published result and the answer to the objection."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.access import demo
from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.evaluation import objections, register, review
from pipelines.load.batch import load
from tests.browser.helpers import (
    ROOT,
    RUN_OVER,
    SCREENSHOTS,
    SIGNED_IN,
    fill_sign_in,
    offline,
    serve,
    server_db,
    settled,
    sign_in,
)
from tests.signin import PASSWORDS

PERIOD = "2025Q4"  # the demo city's latest quarter: the review page's first choice
APPROVER = "approver-Passw0rd-demo"
# The server's register clock, moved by the test: a notice cannot start in the past, so the test
# lets days pass instead. Python runs sitecustomize at start-up; this one (on the server's
# PYTHONPATH only) makes register.now() read an offset in days from a file beside it.
CLOCK = """
import datetime as dt, pathlib, sys
sys.path.insert(0, {root!r})
from pipelines.evaluation import register
_real, _days = register.now, pathlib.Path({days!r})
register.now = lambda: _real() + dt.timedelta(days=float(_days.read_text() or 0))
"""


@pytest.fixture(scope="module")
def server(small_default, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser_review")
    db = root / "pbi.duckdb"
    load([small_default], db)
    compute(db, load_methodology())
    demo.create(db, root / "users.json", {**PASSWORDS, "approver": APPROVER})
    clock = root / "clock"
    clock.mkdir()
    (clock / "days").write_text("0")
    (clock / "sitecustomize.py").write_text(CLOCK.format(root=str(ROOT), days=str(clock / "days")))
    yield from serve(db, root / "users.json", root / "audit.duckdb", PYTHONPATH=str(clock))


def _main(page):
    return page.locator("[data-testid='stMain']")


def test_submit_approve_object_resolve_publish(server, watched):
    page, hosts, errors = watched
    db = server_db(server)
    assert review.state(db, PERIOD).state == review.DRAFT

    # The administrator submits the latest run of the quarter for review.
    sign_in(page, f"{server}/review", "admin", "提交审核（运行 #1）")
    page.get_by_role("button", name="提交审核（运行 #1）").click()
    settled(page, "已提交：")
    status = review.state(db, PERIOD)
    assert (status.state, status.run, status.submitted_by) == (review.REVIEW, 1, "admin")

    # The approver approves it: notice from today, for five days.
    page.context.clear_cookies()
    page.goto(f"{server}/review")
    fill_sign_in(page, "approver", APPROVER, accepted=True)
    settled(page, f"{SIGNED_IN}approver（")
    settled(page, "审核通过，开始公示")
    start = register.now().date()
    page.get_by_role("button", name="审核通过，开始公示").click()
    settled(page, "已审核通过：")
    status = review.state(db, PERIOD)
    assert (status.state, status.notice_start) == (review.NOTICE, start)
    assert status.notice_end == start + dt.timedelta(days=review.NOTICE_DAYS - 1)

    # A community user sees the notice on the unit's profile and files an objection.
    sign_in(page, f"{server}/profile?level=community&period={PERIOD}", "community", "公示中：")
    _main(page).get_by_label("异议内容").fill("本社区 12 月的服务记录未计入")
    _main(page).get_by_label("异议内容").press("Tab")
    page.wait_for_function(RUN_OVER)
    page.get_by_role("button", name="提交异议").click()
    settled(page, "已提交第 1 条异议")
    settled(page, "我的异议")
    filed = objections.listing(db, period=PERIOD)
    assert list(filed["filed_by"]) == ["community"] and filed["decision"].isna().all()
    page.screenshot(path=str(SCREENSHOTS / "objection.png"), full_page=True)

    # The administrator may not publish before the notice is over, nor while the objection is open.
    sign_in(page, f"{server}/review", "admin", "提交处理结果")
    page.get_by_role("button", name="发布").click()
    settled(page, "之后才能发布")
    (server_db(server).parent / "clock" / "days").write_text("6")  # the notice is over
    page.get_by_role("button", name="发布").click()
    settled(page, "未处理")  # the register's refusal: an objection is open
    assert review.state(db, PERIOD).state == review.NOTICE
    _main(page).get_by_text("未采纳", exact=True).click()
    page.wait_for_function(RUN_OVER)
    _main(page).get_by_label("处理说明（采纳：说明所作更改；不采纳：说明理由）").fill("经核实，12 月记录已按时计入")
    _main(page).get_by_label("处理说明（采纳：说明所作更改；不采纳：说明理由）").press("Tab")
    page.wait_for_function(RUN_OVER)
    page.get_by_role("button", name="提交处理结果").click()
    settled(page, "第 1 条异议已处理")
    answer = objections.listing(db, period=PERIOD).iloc[0]
    assert (answer["decision"], answer["resolved_by"]) == ("reject", "admin")
    page.get_by_role("button", name="发布").click()
    settled(page, "已发布：")
    status = review.state(db, PERIOD)
    assert (status.state, status.official) == (review.PUBLISHED, 1)

    # The community user now sees the published result and the answer.
    sign_in(page, f"{server}/profile?level=community&period={PERIOD}", "community", "已发布：")
    settled(page, "我的异议")
    mine = _main(page).locator("[data-testid='stDataFrame']").last  # a grid drawn on a canvas: its cells are hidden
    mine.locator("[role='gridcell']", has_text="经核实，12 月记录已按时计入").first.wait_for(state="attached")
    assert mine.locator("[role='gridcell']", has_text="未采纳").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "published.png"), full_page=True)
    offline(hosts, errors)

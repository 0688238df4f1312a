"""The dashboard in a real browser: Debian's headless Chromium (never a downloaded one) driven
by pytest-playwright against `streamlit run` on a free local port, over a published demo city.
Every test signs in through the real sign-in form first (with the browser's cookies cleared:
a signed-in browser stays signed in across page loads, tests/browser/test_session_cookie.py).
Asserts no exception box, no console error and no request to any host but this machine."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.pages import MAP_DRAWN
from pipelines.access import demo
from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.load.batch import load
from tests.browser.helpers import SCREENSHOTS, offline, pick, serve, server_db, settled, sign_in
from tests.signin import PASSWORDS


@pytest.fixture(scope="module")
def server(small_default, tmp_path_factory):
    """A server over a city of its own (a test here publishes a new load into it)."""
    root = tmp_path_factory.mktemp("browser")
    db = root / "pbi.duckdb"
    load([small_default], db)
    compute(db, load_methodology())
    demo.create(db, root / "users.json", PASSWORDS)  # the demo users, with the known test passwords
    yield from serve(db, root / "users.json", root / "audit.duckdb")


PAGES = {  # path: text that shows the page ran to the end
    "/?period=2025Q3&level=grid": "总览 · 2025Q3",
    "/rankings?level=street": "排名 · 街道 · 2025Q4",
    "/map?level=community": "地图 · 社区 · 2025Q4",
    "/trends?level=community": "预警 · 2025Q4",
    "/profile?level=grid": "指标明细",
    "/members?scope=西湖区": "先锋分前 50 名",
    "/quality": "加载台账",
    "/methodology": "方法 · v1.2",
    "/raw": "原始数据文件",
}


def test_every_page_offline(server, watched):
    page, hosts, errors = watched
    for path, marker in PAGES.items():
        sign_in(page, f"{server}{path}", "city", marker)
        name = path.strip("/").split("?")[0] or "overview"
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    offline(hosts, errors)


def test_map_draws_offline_and_a_click_opens_the_profile(server, watched):
    page, hosts, errors = watched
    sign_in(page, f"{server}/map?level=grid&period=2025Q4", "city", "地图 · 网格 · 2025Q4")
    page.wait_for_function(MAP_DRAWN)  # MapLibre inside Plotly: drawn, with no tile or style fetched
    page.screenshot(path=str(SCREENSHOTS / "map.png"))
    canvas = page.locator(".js-plotly-plot canvas").first.bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.wait_for_url("**/profile?**")
    settled(page, "指标明细")
    assert "unit=" in page.url and "level=grid" in page.url
    offline(hosts, errors)


def test_filters_drilldown_and_back_by_url(server, watched):
    page, hosts, errors = watched
    sign_in(page, f"{server}/rankings?level=street", "city", "排名 · 街道 · 2025Q4")
    pick(page, "期间", "2025Q2")
    settled(page, "排名 · 街道 · 2025Q2")
    pick(page, "层级", "网格")
    settled(page, "排名 · 网格 · 2025Q2")
    assert "period=2025Q2" in page.url and "level=grid" in page.url

    # A click on the third row opens that grid's profile, with the filters in its URL.
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 * 2.5 + 35)  # the row marker of row 3, under the header
    page.wait_for_url("**/profile?**")
    settled(page, "指标明细")
    profile_url = page.url
    assert "unit=" in profile_url and "period=2025Q2" in profile_url
    title = page.locator("h1").first.inner_text()
    assert title.endswith("· 2025Q2")

    page.get_by_text("返回排名").click()
    settled(page, "排名 · 网格 · 2025Q2")
    sign_in(page, f"{server}/rankings", "city", "排名 ·")
    sign_in(page, profile_url, "city", "指标明细")  # the link reopens exactly the same view (once signed in)
    assert page.locator("h1").first.inner_text() == title
    page.screenshot(path=str(SCREENSHOTS / "drilldown.png"), full_page=True)
    offline(hosts, errors)


def test_language_switch_and_download(server, watched):
    page, hosts, errors = watched
    sign_in(page, f"{server}/rankings?period=2025Q4&level=street", "city", "排名 · 街道 · 2025Q4")
    with page.expect_download() as info:
        page.get_by_text("下载 CSV").click()
    table = pd.read_csv(info.value.path(), encoding="utf-8-sig")
    assert table["排名"].tolist() == [1, 2]  # the small city has two streets
    with page.expect_download() as info:
        page.get_by_text("下载 Excel").click()
    workbook = pd.read_excel(info.value.path(), engine="calamine")
    assert workbook["排名"].tolist() == [1, 2] and "党建综合指数" in workbook.columns

    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    settled(page, "Rankings · Street · 2025Q4")
    assert "lang=en" in page.url
    page.screenshot(path=str(SCREENSHOTS / "english.png"), full_page=True)
    offline(hosts, errors)


def test_a_load_published_while_open_shows_after_refresh(server, watched, small_default):
    """The loader and the engine publish by replacing files while the dashboard runs; a
    refresh shows the new run and batch, with no error."""
    page, hosts, errors = watched
    sign_in(page, f"{server}/", "city", "计算批次 1，")
    db = server_db(server)
    load([small_default], db)
    compute(db, load_methodology())
    page.reload()  # a new Streamlit session, still signed in (the cookie)
    settled(page, "计算批次 2，")
    sign_in(page, f"{server}/quality", "city", "加载台账")  # the ledger, now with the second batch, draws without error
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    offline(hosts, errors)

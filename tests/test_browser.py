"""The dashboard in a real browser: Debian's headless Chromium (never a downloaded one) driven
by pytest-playwright against `streamlit run` on a free local port, over a published demo city.
Every test signs in through the real sign-in form first (with the browser's cookies cleared:
a signed-in browser stays signed in across page loads, tests/browser/test_session_cookie.py).
Asserts no exception box, no console error and no request to any host but this machine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from bench.pages import MAP_DRAWN
from pipelines.access import demo
from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.load.batch import load
from tests.signin import PASSWORDS

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "tests" / "_screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}  # a projector's 16:10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_DBS: dict[str, Path] = {}


def server_db(url: str) -> Path:
    """The published database a test server reads."""
    return _DBS[url]


def serve(db: Path, users: Path, audit: Path, **env: str) -> Iterator[str]:
    """`streamlit run` over `db` on a free port, with its own users file and audit log (and
    any further environment, e.g. PBI_SESSION_MINUTES): yields its URL, stops it after."""
    port = _free_port()
    env = {**os.environ, "PBI_DB": str(db), "PBI_USERS": str(users), "PBI_AUDIT": str(audit), **env}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a busy machine starts it slowly
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("streamlit did not start") from None
            time.sleep(0.3)
    _DBS[url] = db
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(small_default, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    db = root / "pbi.duckdb"
    load([small_default], db)
    compute(db, load_methodology())
    demo.create(db, root / "users.json", PASSWORDS)  # the demo users, with the known test passwords
    yield from serve(db, root / "users.json", root / "audit.duckdb")


@pytest.fixture
def watched(page):
    """The page, with every request's host and every console error recorded."""
    hosts: set[str] = set()
    errors: list[str] = []
    # blob: and data: URLs are in the page's own memory (MapLibre's workers), not requests out
    page.on("request", lambda r: None if r.url.startswith(("blob:", "data:")) else hosts.add(urlparse(r.url).hostname))
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None)
    page.set_default_timeout(30_000)
    yield page, hosts, errors
    SCREENSHOTS.mkdir(exist_ok=True)


# The script run is over: the app's own run state (the status widget shows only after 500 ms
# of running, so its absence alone does not say a run has ended).
RUN_OVER = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')"""


def _settled(page, text: str) -> None:
    page.get_by_text(text, exact=False).first.wait_for()
    page.wait_for_function(RUN_OVER)
    assert page.locator("[data-testid='stException']").count() == 0


SIGNED_IN = "当前用户："  # the sidebar's line naming the signed-in user


def fill_sign_in(page, name: str, password: str | None = None, accepted: bool | None = None) -> None:
    """Type a name and password into the sign-in form (shown in place of any page) and submit.
    An accepted sign-in (the right password, unless told otherwise) sends the browser through
    the cookie's endpoint and back: this returns once that page has loaded."""
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORDS[name] if password is None else password)
    button = page.get_by_role("button", name="登录")
    if not (accepted if accepted is not None else password is None):
        button.click()
        return
    with page.expect_navigation(wait_until="load"):
        button.click()
    deadline = time.monotonic() + 60  # a state, not a duration: until the cookie is there
    while not any(c["name"] == "pbi_session" for c in page.context.cookies()):
        assert time.monotonic() < deadline, f"no session cookie after signing in at {page.url}"
        page.wait_for_timeout(100)
    page.wait_for_load_state("load")


def sign_in(page, url: str, name: str = "city", marker: str | None = None) -> None:
    """Open `url` in a browser signed in nowhere (its cookies cleared), sign in as `name`
    through the form, and wait until the page asked for has run to the end (showing `marker`,
    if given)."""
    page.context.clear_cookies()
    page.goto(url)
    fill_sign_in(page, name)
    _settled(page, f"{SIGNED_IN}{name}（")
    if marker:
        _settled(page, marker)


PAGES = {  # path: text that shows the page ran to the end
    "/?period=2025Q3&level=grid": "总览 · 2025Q3",
    "/rankings?level=street": "排名 · 街道 · 2025Q4",
    "/map?level=community": "地图 · 社区 · 2025Q4",
    "/trends?level=community": "预警 · 2025Q4",
    "/profile?level=grid": "指标明细",
    "/members?scope=西湖区": "先锋分前 50 名",
    "/quality": "加载台账",
    "/methodology": "方法 · v1",
    "/raw": "原始数据文件",
}


def _offline(hosts: set[str], errors: list[str]) -> None:
    assert hosts <= LOCAL_HOSTS, hosts - LOCAL_HOSTS  # nothing leaves this machine
    real = [e for e in errors if not _base_path_probe(e)]
    assert not real, real


def test_every_page_offline(server, watched):
    page, hosts, errors = watched
    for path, marker in PAGES.items():
        sign_in(page, f"{server}{path}", "city", marker)
        name = path.strip("/").split("?")[0] or "overview"
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    _offline(hosts, errors)


def test_map_draws_offline_and_a_click_opens_the_profile(server, watched):
    page, hosts, errors = watched
    sign_in(page, f"{server}/map?level=grid&period=2025Q4", "city", "地图 · 网格 · 2025Q4")
    page.wait_for_function(MAP_DRAWN)  # MapLibre inside Plotly: drawn, with no tile or style fetched
    page.screenshot(path=str(SCREENSHOTS / "map.png"))
    canvas = page.locator(".js-plotly-plot canvas").first.bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.wait_for_url("**/profile?**")
    _settled(page, "指标明细")
    assert "unit=" in page.url and "level=grid" in page.url
    _offline(hosts, errors)


def _pick(page, label: str, option: str) -> None:
    """Choose an option of a sidebar selectbox, as a user does (scrolled to the middle of the
    sidebar first: at its bottom edge, the list of options would open below the window)."""
    select = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text=label)
    select.evaluate("e => e.scrollIntoView({block: 'center'})")
    select.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_filters_drilldown_and_back_by_url(server, watched):
    page, hosts, errors = watched
    sign_in(page, f"{server}/rankings?level=street", "city", "排名 · 街道 · 2025Q4")
    _pick(page, "季度", "2025Q2")
    _settled(page, "排名 · 街道 · 2025Q2")
    _pick(page, "层级", "网格")
    _settled(page, "排名 · 网格 · 2025Q2")
    assert "period=2025Q2" in page.url and "level=grid" in page.url

    # A click on the third row opens that grid's profile, with the filters in its URL.
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 * 2.5 + 35)  # the row marker of row 3, under the header
    page.wait_for_url("**/profile?**")
    _settled(page, "指标明细")
    profile_url = page.url
    assert "unit=" in profile_url and "period=2025Q2" in profile_url
    title = page.locator("h1").first.inner_text()
    assert title.endswith("· 2025Q2")

    page.get_by_text("返回排名").click()
    _settled(page, "排名 · 网格 · 2025Q2")
    sign_in(page, f"{server}/rankings", "city", "排名 ·")
    sign_in(page, profile_url, "city", "指标明细")  # the link reopens exactly the same view (once signed in)
    assert page.locator("h1").first.inner_text() == title
    page.screenshot(path=str(SCREENSHOTS / "drilldown.png"), full_page=True)
    _offline(hosts, errors)


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
    _settled(page, "Rankings · Street · 2025Q4")
    assert "lang=en" in page.url
    page.screenshot(path=str(SCREENSHOTS / "english.png"), full_page=True)
    _offline(hosts, errors)


def test_a_load_published_while_open_shows_after_refresh(server, watched, small_default):
    """The loader and the engine publish by replacing files while the dashboard runs; a
    refresh shows the new run and batch, with no error."""
    page, hosts, errors = watched
    sign_in(page, f"{server}/", "city", "计算批次 1，")
    db = server_db(server)
    load([small_default], db)
    compute(db, load_methodology())
    page.reload()  # a new Streamlit session, still signed in (the cookie)
    _settled(page, "计算批次 2，")
    sign_in(page, f"{server}/quality", "city", "加载台账")  # the ledger, now with the second batch, draws without error
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    _offline(hosts, errors)


def _base_path_probe(error: str) -> bool:
    """Opened at a page's path (/overview), Streamlit's frontend first looks for its server
    under that path (/overview/_stcore/health, …) and then at the root: those 404s are how it
    finds its base URL, not faults of the app."""
    url = error.rsplit(" ", 1)[-1]
    path = urlparse(url).path
    return "404" in error and path.count("/") >= 3 and path.rsplit("/", 2)[-2] == "_stcore"

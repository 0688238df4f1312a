"""Sign-in that survives a reload and a new tab, in a real browser (Debian's headless Chromium,
against `streamlit run` as in tests/browser/test_pages.py): a signed-in user reloads a page and stays
signed in, opens a shared link (a unit's profile) in a second tab and sees it directly; the
cookie is HttpOnly and SameSite=Strict; after sign-out the old cookie, set into a fresh
browser, signs nobody in."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.access import audit
from tests.browser.helpers import RUN_OVER, SIGNED_IN, offline, serve, settled, sign_in

WAIT = 60_000  # ms: room for a busy machine; each wait ends when its state is there


@pytest.fixture(scope="module")
def server(published_demo, demo_users, tmp_path_factory):
    log = tmp_path_factory.mktemp("session_cookie") / "audit.duckdb"
    for url in serve(published_demo, demo_users, log):
        yield url, log, published_demo


def _signed_in_as(page, name: str) -> None:
    page.get_by_text(f"{SIGNED_IN}{name}（", exact=False).first.wait_for(timeout=WAIT)
    page.wait_for_function(RUN_OVER, timeout=WAIT)
    assert page.get_by_label("用户名").count() == 0


def _last_grid(db) -> tuple[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT grid_id, grid_name FROM grids ORDER BY grid_id DESC LIMIT 1").fetchone()


def test_reload_new_tab_and_sign_out(server, watched, browser, browser_context_args):
    url, log, db = server
    page, hosts, errors = watched
    sign_in(page, f"{url}/rankings?level=street", "city", "排名 · 街道")
    cookie = next(c for c in page.context.cookies() if c["name"] == "pbi_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/" and not cookie["secure"]
    assert page.evaluate("() => document.cookie").find("pbi_session") < 0  # out of reach of scripts

    page.reload()  # F5: a new Streamlit session, the same signed-in user, the same view
    _signed_in_as(page, "city")
    settled(page, "排名 · 街道")

    grid, name = _last_grid(db)  # not the profile's default unit: the link must carry it
    link = f"{url}/profile?level=grid&period=2025Q4&unit={grid}"
    tab = page.context.new_page()  # a second tab, the shared link pasted in
    tab.set_default_timeout(WAIT)
    tab.goto(link)
    _signed_in_as(tab, "city")
    settled(tab, "指标明细")
    assert name in tab.locator("h1").first.inner_text() and f"unit={grid}" in tab.url

    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("用户名").wait_for(timeout=WAIT)
    assert not [c for c in page.context.cookies() if c["name"] == "pbi_session"]  # cleared
    events = audit.read(actors=["city"], path=log).sort_values("seq")["event"].tolist()
    assert events.count("login_ok") == 1 and events[-1] == "logout", events

    # The old cookie, set into a fresh browser: refused on the server, the sign-in form.
    fresh = browser.new_context(**browser_context_args)
    fresh.add_cookies([cookie])
    other = fresh.new_page()
    other.set_default_timeout(WAIT)
    other.goto(link)  # the shared link again
    other.get_by_label("用户名").wait_for()
    other.wait_for_function(RUN_OVER)
    assert other.get_by_text(SIGNED_IN).count() == 0 and other.get_by_text("指标明细").count() == 0
    fresh.close()
    tab.reload()  # the second tab, after sign-out: the form too
    tab.get_by_label("用户名").wait_for()
    offline(hosts, errors)

"""The big screen in a real browser (Debian's headless Chromium, as in test_pages.py): signed
in once, it turns its panels by itself — ranking, map, trends, lists — with no sidebar, large
type and a dark page, asking nothing of any host but this machine; a reload keeps it signed
in; and it stays signed in while it turns, past the idle timeout, until its cap after sign-in.

Every wait is for a state (a panel shown, the map drawn, the sign-in form back), with room for
a busy machine; the exact timing of turns, idle expiry and the cap is tested on a clock the
test controls, in tests/dashboard/test_bigscreen.py."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest

from bench.pages import MAP_DRAWN
from pipelines.access import audit
from tests.browser.helpers import RUN_OVER, SCREENSHOTS, fill_sign_in, offline, serve

PANELS = ["ranking", "map", "trends", "lists"]
IDLE_SECONDS = 15  # the display server's idle timeout: shorter than the test watches it turn
CAP_SECONDS = 36  # the capped server's: PBI_BIGSCREEN_HOURS=0.01
WAIT = 180_000  # ms: room for a busy machine; every wait ends as soon as its state is there
PANEL = "() => document.querySelector('[data-panel]')?.dataset.panel || null"
# Every change of panel, recorded in the page itself (a turn is never missed between polls).
RECORD = """() => { window.pbiSeen = []; setInterval(() => {
    const p = document.querySelector('[data-panel]')?.dataset.panel;
    if (p && window.pbiSeen[window.pbiSeen.length - 1] !== p) window.pbiSeen.push(p);
}, 50); }"""


@pytest.fixture(scope="module")
def city(published_demo, demo_users, tmp_path_factory):
    """The demo city and its demo users (both only read by the servers), and a folder for
    each server's audit log."""
    return published_demo, demo_users, tmp_path_factory.mktemp("bigscreen")


@pytest.fixture(scope="module")
def display(city):
    db, users, root = city
    minutes = str(IDLE_SECONDS / 60)
    yield from serve(db, users, root / "audit-display.duckdb", PBI_SESSION_MINUTES=minutes)


@pytest.fixture(scope="module")
def capped(city):
    """A server whose displays stay signed in 36 s after sign-in, with a 15 s idle timeout."""
    db, users, root = city
    audit_file = root / "audit-capped.duckdb"
    hours = str(CAP_SECONDS / 3600)
    for url in serve(db, users, audit_file, PBI_SESSION_MINUTES=str(IDLE_SECONDS / 60), PBI_BIGSCREEN_HOURS=hours):
        yield url, audit_file


def _open(page, url: str) -> None:
    """Open the big screen in a browser signed in nowhere, sign in through the form, and wait
    for its first panel."""
    page.context.clear_cookies()
    page.goto(url)
    fill_sign_in(page, "city")
    page.locator("[data-panel]").first.wait_for(timeout=WAIT)


def test_panels_turn_offline_full_screen(display, watched):
    page, hosts, errors = watched
    _open(page, f"{display}/bigscreen?period=2025Q4&level=grid&theme=dark&interval=5")
    started = time.monotonic()
    assert "meeting=1" in page.url  # meeting mode, always
    page.evaluate(RECORD)

    # No sidebar, no header; large type on a dark page.
    assert (
        page.locator('[data-testid="stSidebar"]').count() and not page.locator('[data-testid="stSidebar"]').is_visible()
    )
    assert not page.locator('[data-testid="stHeader"]').is_visible()
    title_px = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.pbi-bs-title')).fontSize)")
    assert title_px >= 36
    background = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    assert background == "rgb(14, 17, 23)"

    # Round once and on again, in order, with nobody at the keyboard.
    page.wait_for_function("() => window.pbiSeen.length >= 6", timeout=WAIT)
    seen = page.evaluate("() => window.pbiSeen")
    assert all(PANELS[(PANELS.index(a) + 1) % len(PANELS)] == b for a, b in pairwise(seen)), seen
    # Turning for longer than the idle timeout without a click (six turns of 4–5 s at the
    # least): still signed in, still turning.
    assert time.monotonic() - started > IDLE_SECONDS
    assert page.get_by_label("用户名").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0

    # The screen reloading itself stays signed in; one panel pinned, each drawn in turn.
    for panel in PANELS:
        page.goto(f"{display}/bigscreen?period=2025Q4&level=grid&theme=dark&panel={panel}")
        page.wait_for_function(f"() => ({PANEL})() === '{panel}'", timeout=WAIT)
        if panel == "map":
            page.wait_for_function(MAP_DRAWN, timeout=WAIT)  # drawn, with no tile or style fetched
        page.wait_for_function(RUN_OVER, timeout=WAIT)
        assert page.get_by_label("用户名").count() == 0
        page.screenshot(path=str(SCREENSHOTS / f"bigscreen-{panel}.png"))
    offline(hosts, errors)


def test_the_display_signs_out_after_its_cap(capped, watched):
    url, audit_file = capped
    page, hosts, errors = watched
    _open(page, f"{url}/bigscreen?level=community&theme=light&interval=5")
    page.evaluate(RECORD)
    # Back to the sign-in form by itself, with the screen gone (a new run, not a stale form).
    page.get_by_label("用户名").wait_for(timeout=WAIT)
    page.wait_for_function("() => !document.querySelector('[data-panel]')", timeout=WAIT)
    page.get_by_text("分钟未操作", exact=False).first.wait_for(timeout=WAIT)
    assert {"ranking", "map", "trends"} <= set(page.evaluate("() => window.pbiSeen"))
    log = audit.read(actors=["city"], path=audit_file).set_index("event")["logged_at"]
    # Kept past the 15 s idle timeout by its turning, up to the 36 s cap; then idle as usual.
    assert (log["session_expired"] - log["login_ok"]).total_seconds() >= CAP_SECONDS
    page.reload()  # ended on the server: the cookie signs nobody in
    page.get_by_label("用户名").wait_for(timeout=WAIT)
    offline(hosts, errors)

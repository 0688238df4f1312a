"""The big screen in a real browser (Debian's headless Chromium, as in test_browser.py): signed
in once, it turns its panels by itself — ranking, map, trends, lists — with no sidebar, large
type and a dark page, asking nothing of any host but this machine; and it stays signed in
while it turns, past the idle timeout, until its cap after sign-in."""

from __future__ import annotations

import time

import pytest

from pipelines.access import audit
from pipelines.bench_pages import MAP_DRAWN
from tests.test_browser import (  # noqa: F401  (the launch fixtures are used by pytest-playwright)
    SCREENSHOTS,
    _offline,
    browser_context_args,
    browser_type_launch_args,
    fill_sign_in,
    serve,
    watched,
)

PANELS = ["ranking", "map", "trends", "lists"]
IDLE_SECONDS = 15  # the display server's idle timeout: shorter than the test watches it turn
PANEL = "() => document.querySelector('[data-panel]')?.dataset.panel || null"


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
    """A server whose displays stay signed in 14.4 s after sign-in, with a 6 s idle timeout."""
    db, users, root = city
    audit_file = root / "audit-capped.duckdb"
    for url in serve(db, users, audit_file, PBI_SESSION_MINUTES="0.1", PBI_BIGSCREEN_HOURS="0.004"):
        yield url, audit_file


def _open(page, url: str) -> float:
    """Open the big screen, sign in through the form, wait for its first panel; the time of
    signing in."""
    page.goto(url)
    fill_sign_in(page, "city")
    signed_in = time.monotonic()
    page.locator("[data-panel]").first.wait_for()
    return signed_in


def test_panels_turn_offline_full_screen(display, watched):  # noqa: F811  (the fixture)
    page, hosts, errors = watched
    started = _open(page, f"{display}/bigscreen?period=2025Q4&level=grid&theme=dark&interval=5")
    assert "meeting=1" in page.url  # meeting mode, always

    # No sidebar, no header; large type on a dark page.
    assert (
        page.locator('[data-testid="stSidebar"]').count() and not page.locator('[data-testid="stSidebar"]').is_visible()
    )
    assert not page.locator('[data-testid="stHeader"]').is_visible()
    title_px = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.pbi-bs-title')).fontSize)")
    assert title_px >= 36
    background = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    assert background == "rgb(14, 17, 23)"

    seen: list[str] = []
    deadline = time.monotonic() + 90
    while len(seen) < 6 and time.monotonic() < deadline:
        panel = page.evaluate(PANEL)
        if panel and (not seen or seen[-1] != panel):
            seen.append(panel)
            if len(seen) <= len(PANELS):
                if panel == "map":
                    page.wait_for_function(MAP_DRAWN, timeout=4_000)  # drawn, with no tile or style fetched
                else:
                    page.wait_for_timeout(1_000)
                page.screenshot(path=str(SCREENSHOTS / f"bigscreen-{panel}.png"))
        page.wait_for_timeout(250)
    assert seen == [*PANELS, *PANELS[:2]]  # in order, and round again
    # Turning for longer than the idle timeout (and its watcher's period) without a click:
    # still signed in, still turning.
    assert time.monotonic() - started > IDLE_SECONDS + 5
    assert page.get_by_label("用户名").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    _offline(hosts, errors)


def test_the_display_signs_out_after_its_cap(capped, watched):  # noqa: F811  (the fixture)
    url, audit_file = capped
    page, hosts, errors = watched
    started = _open(page, f"{url}/bigscreen?level=community&theme=light&interval=5")
    seen: set[str] = set()
    form = page.get_by_label("用户名")
    while form.count() == 0 and time.monotonic() - started < 60:
        seen.add(page.evaluate(PANEL) or "")
        page.wait_for_timeout(250)
    elapsed = time.monotonic() - started
    assert form.count() == 1, "still signed in a minute later"
    # Kept past the 6 s idle timeout by its turning, up to the 14.4 s cap, then idle as usual.
    assert 14 < elapsed < 45, elapsed
    assert {"ranking", "map", "trends"} <= seen
    page.get_by_text("分钟未操作", exact=False).first.wait_for()
    assert list(audit.read(events=["session_expired"], path=audit_file)["subject"]) == ["city"]
    _offline(hosts, errors)

"""Dashboard page timings for `make bench`: each page's script run, cold and warm, at the
bench scale, and the map of all grids drawn in a real headless Chromium.

Cold: a fresh process with the modules imported (as a running server has them) and empty
caches — the first view after a load is published. Warm: the same view again, from the
caches. A trivial page (one line of text) is timed the same way in the same run, as the
baseline that says how fast this machine is today.

Run one page: `python -m bench.pages PAGE DB` prints its timings as JSON.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from pipelines import settings

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
CHROMIUM = "/usr/bin/chromium"
WARM_RUNS = 5
PAGES = {  # page: query parameters of the view timed (the heaviest usual one)
    "overview": {"level": "grid"},
    "rankings": {"level": "grid"},
    "map": {"level": "grid"},
    "trends": {"level": "grid"},
    "profile": {"level": "grid"},
    "members": {},
    "quality": {},
    "methodology": {"level": "grid"},
    "pack": {"level": "grid"},  # the pack built (its files are made on a click, not timed here)
    "bigscreen": {"level": "grid", "panel": "map"},  # its heaviest panel
}
TRIVIAL = "import streamlit as st\nst.write('baseline')\n"
BENCH_USER, BENCH_PASSWORD = "bench", "bench-only-password"


def _bench_user() -> None:
    """A city user of the benchmark's own, in a users file and audit log of its own (never
    the installation's), for every page process and the browser to sign in as."""
    from pipelines.access import users

    root = Path(tempfile.mkdtemp(prefix="pbi-bench-access-"))
    os.environ[settings.USERS.name] = str(root / "users.json")  # inherited by every page process
    os.environ[settings.AUDIT.name] = str(root / "audit.duckdb")
    users.add(BENCH_USER, "市级", "", BENCH_PASSWORD)


def time_page(page: str, db: Path) -> dict:
    """In this process: the first run of a page with empty caches, then warm reruns."""
    os.environ[settings.DB.name] = str(db)
    from streamlit.testing.v1 import AppTest

    import dashboard.data  # noqa: F401  (imported before the clock, as on a running server)

    if page == "baseline":
        script = Path(tempfile.mkdtemp()) / "baseline.py"
        script.write_text(TRIVIAL, encoding="utf-8")
        at = AppTest.from_file(str(script), default_timeout=120)
    else:
        from dashboard import sessions

        at = AppTest.from_file(str(APP), default_timeout=120)
        # Signed in as the sign-in form leaves a tab: a server-side session, its id in the tab's state.
        at.session_state["pbi_session"] = sessions.start(BENCH_USER, "password").id
        for key, value in PAGES[page].items():
            at.query_params[key] = value
        at.switch_page(f"views/{page}.py")
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].value}")
    warm = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    return {"cold_s": cold, "warm_s": statistics.median(warm)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _host(url: str, hosts: set[str]) -> None:
    """Record a request's host; blob: and data: URLs (MapLibre's workers) stay in the page."""
    if not url.startswith(("blob:", "data:")):
        hosts.add(urlparse(url).hostname or "")


def _sign_in(page) -> None:
    """Sign in through the form; an accepted sign-in goes through the session cookie's endpoint
    and back to the page asked for."""
    page.get_by_label("用户名").fill(BENCH_USER)
    page.get_by_label("密码").fill(BENCH_PASSWORD)
    with page.expect_navigation(wait_until="load", timeout=60_000):
        page.get_by_role("button", name="登录").click()


def map_in_chromium(db: Path, tries: int = 3) -> dict:
    """Seconds from signing in at /map?level=grid to every grid drawn, in headless Chromium
    against `streamlit run`: the first view (server caches and browser cache empty) and the
    best of the next views (a new tab of the same browser, as a user opening the map again;
    each tab signs in). Also every host the page asked for (only this machine is allowed)."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, settings.DB.name: str(db)}
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("streamlit did not start") from None
                time.sleep(0.3)
        hosts: set[str] = set()
        times = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            context = browser.new_context(viewport={"width": 1400, "height": 1000})  # one browser cache, as a user's
            for _ in range(tries):
                context.clear_cookies()  # signed in nowhere: the session cookie would skip the form
                page = context.new_page()
                page.on("request", lambda r: _host(r.url, hosts))
                page.goto(f"{url}/map?level=grid")
                page.get_by_label("密码").wait_for()
                started = time.perf_counter()
                _sign_in(page)
                page.wait_for_function(MAP_DRAWN, timeout=60_000)
                times.append(time.perf_counter() - started)
                page.close()
            # As users go: the overview first, then 地图 in the sidebar (Streamlit's Plotly
            # script is then already loaded by the overview's chart).
            context.clear_cookies()
            page = context.new_page()
            page.goto(f"{url}/?level=grid")
            _sign_in(page)
            page.wait_for_function(IDLE, timeout=60_000)
            page.locator(".js-plotly-plot").first.wait_for()
            started = time.perf_counter()
            page.locator("[data-testid='stSidebarNav'] a[href$='/map']").click()
            page.wait_for_function(MAP_DRAWN, timeout=60_000)
            in_app = time.perf_counter() - started
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {"first_s": times[0], "warm_s": min(times[1:]), "in_app_s": in_app, "hosts": sorted(hosts)}


# The map is drawn when Streamlit is idle and the MapLibre map inside Plotly's figure reports
# itself loaded (style and sources rendered) and still.
MAP_DRAWN = """() => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const layout = plot._fullLayout, sub = layout && layout.map && layout.map._subplot;
        if (sub && sub.map && sub.map.loaded() && sub.map.isStyleLoaded() && !sub.map.isMoving()) return true;
    }
    return false;
}"""
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')"""


def bench_pages(db: Path) -> dict:
    """Every page in its own fresh process, plus the baseline; and the map in Chromium."""
    _bench_user()
    results = {}
    for page in ["baseline", *PAGES]:
        done = subprocess.run(
            [sys.executable, "-m", "bench.pages", page, str(db)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"page {page} failed:\n{done.stderr[-2000:]}")
        results[page] = json.loads(done.stdout.strip().splitlines()[-1])
    results["map_chromium"] = map_in_chromium(db) if Path(CHROMIUM).exists() else None
    return results


if __name__ == "__main__":
    print(json.dumps(time_page(sys.argv[1], Path(sys.argv[2]))))

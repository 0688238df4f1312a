"""The dashboard in a real browser: Debian's headless Chromium (never a downloaded one) driven
by pytest-playwright against `streamlit run` on a free local port, over a published demo city.
Asserts no exception box, no console error and no request to any host but this machine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.load.batch import load

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(small_default, tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "pbi.duckdb"
    load([small_default], db)
    compute(db, load_methodology())
    port = _free_port()
    env = {**os.environ, "PBI_DB": str(db)}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
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
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def watched(page):
    """The page, with every request's host and every console error recorded."""
    hosts: set[str] = set()
    errors: list[str] = []
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or ""))
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None)
    page.set_default_timeout(30_000)
    yield page, hosts, errors
    SCREENSHOTS.mkdir(exist_ok=True)


def _settled(page, text: str) -> None:
    page.get_by_text(text, exact=False).first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    assert page.locator("[data-testid='stException']").count() == 0


def test_overview_and_rankings_offline(server, watched):
    page, hosts, errors = watched
    page.goto(f"{server}/?period=2025Q3&level=grid")  # the default page lives at the root
    _settled(page, "总览 · 2025Q3")
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)

    page.goto(f"{server}/rankings?period=2025Q4&level=street")
    _settled(page, "排名 · 街道 · 2025Q4")
    with page.expect_download() as info:
        page.get_by_text("下载 CSV").click()
    path = info.value.path()
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert table["排名"].tolist() == [1, 2]  # the small city has two streets
    page.screenshot(path=str(SCREENSHOTS / "rankings.png"), full_page=True)

    page.goto(f"{server}/quality")
    _settled(page, "加载台账")
    page.screenshot(path=str(SCREENSHOTS / "quality.png"), full_page=True)

    page.goto(f"{server}/?lang=en")
    _settled(page, "Overview · 2025Q4")

    assert hosts <= LOCAL_HOSTS, hosts - LOCAL_HOSTS  # nothing leaves this machine
    assert not [e for e in errors if not _base_path_probe(e)], [e for e in errors if not _base_path_probe(e)]


def _base_path_probe(error: str) -> bool:
    """Opened at a page's path (/overview), Streamlit's frontend first looks for its server
    under that path (/overview/_stcore/health, …) and then at the root: those 404s are how it
    finds its base URL, not faults of the app."""
    url = error.rsplit(" ", 1)[-1]
    path = urlparse(url).path
    return "404" in error and path.count("/") >= 3 and path.rsplit("/", 2)[-2] == "_stcore"

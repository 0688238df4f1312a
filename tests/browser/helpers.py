"""What browser tests share besides fixtures (those are in conftest.py): a dashboard server on
a free local port, signing in through the real form, waiting for a state, downloads and their
audit rows, and the offline check. Every wait is for a state, with room for a busy machine."""

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

from pipelines.access import audit
from tests.signin import PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "_screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WAIT_SECONDS = 60  # for a state the page or the server reaches by itself: ends as soon as it is there

# The script run is over: the app's own run state (the status widget shows only after 500 ms
# of running, so its absence alone does not say a run has ended).
RUN_OVER = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')"""
SIGNED_IN = "当前用户："  # the sidebar's line naming the signed-in user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_DBS: dict[str, Path] = {}


def server_db(url: str) -> Path:
    """The published database a test server reads."""
    return _DBS[url]


def serve(db: Path, users: Path, audit_file: Path, **env: str) -> Iterator[str]:
    """`streamlit run` over `db` on a free port, with its own users file and audit log (and
    any further environment, e.g. PBI_SESSION_MINUTES): yields its URL, stops it after."""
    port = _free_port()
    env = {**os.environ, "PBI_DB": str(db), "PBI_USERS": str(users), "PBI_AUDIT": str(audit_file), **env}
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


def settled(page, text: str) -> None:
    """Wait until the page shows `text` and its run is over, with no exception box."""
    page.get_by_text(text, exact=False).first.wait_for()
    page.wait_for_function(RUN_OVER)
    assert page.locator("[data-testid='stException']").count() == 0


def fill_sign_in(page, name: str, password: str | None = None, accepted: bool | None = None) -> None:
    """Type a name and password into the sign-in form (shown in place of any page) and submit.
    An accepted sign-in (the right password, unless told otherwise) sends the browser through
    the cookie's endpoint and back: this returns once that page has loaded."""
    page.get_by_label("用户名").wait_for()
    page.wait_for_function(RUN_OVER, timeout=60_000)  # the form's run is over: what is typed is kept
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORDS[name] if password is None else password)
    button = page.get_by_role("button", name="登录")
    if not (accepted if accepted is not None else password is None):
        button.click()
        return
    with page.expect_navigation(wait_until="load", timeout=60_000):
        button.click()
    deadline = time.monotonic() + WAIT_SECONDS  # a state, not a duration: until the cookie is there
    while not any(c["name"] == "pbi_session" for c in page.context.cookies()):
        assert time.monotonic() < deadline, f"no session cookie after signing in at {page.url}"
        page.wait_for_timeout(100)  # a poll (the cookie is HttpOnly: no script in the page sees it)
    page.wait_for_load_state("load")


def sign_in(page, url: str, name: str = "city", marker: str | None = None) -> None:
    """Open `url` in a browser signed in nowhere (its cookies cleared), sign in as `name`
    through the form, and wait until the page asked for has run to the end (showing `marker`,
    if given)."""
    page.context.clear_cookies()
    page.goto(url)
    fill_sign_in(page, name)
    settled(page, f"{SIGNED_IN}{name}（")
    if marker:
        settled(page, marker)


def pick(page, label: str, option: str) -> None:
    """Choose an option of a sidebar selectbox, as a user does (scrolled to the middle of the
    sidebar first: at its bottom edge, the list of options would open below the window)."""
    select = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text=label)
    select.evaluate("e => e.scrollIntoView({block: 'center'})")
    select.click()
    page.get_by_role("option", name=option, exact=True).click()


def download(page, label: str) -> Path:
    """Click the download button `label` and return the file, once the click's run is over."""
    with page.expect_download() as info:
        page.get_by_text(label, exact=True).click()
    path = Path(info.value.path())
    page.wait_for_function(RUN_OVER)
    return path


def audited(log: Path, actor: str, after: int, n: int) -> pd.DataFrame:
    """The download events by `actor` after sequence number `after`, once there are `n` (the
    dashboard writes them in the click's callback, in the rerun it starts), or as they are
    after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        rows = audit.read(actors=[actor], events=["download"], path=log)
        rows = rows[rows["seq"] > after].sort_values("seq")
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def last_seq(log: Path) -> int:
    """The sequence number of the audit log's last row (0 if empty)."""
    rows = audit.read(limit=1, path=log)
    return int(rows["seq"].iloc[0]) if len(rows) else 0


def offline(hosts: set[str], errors: list[str]) -> None:
    """Nothing left this machine, and no console error but Streamlit's base-path probes."""
    assert hosts <= LOCAL_HOSTS, hosts - LOCAL_HOSTS
    real = [e for e in errors if not _base_path_probe(e)]
    assert not real, real


def _base_path_probe(error: str) -> bool:
    """Opened at a page's path (/overview), Streamlit's frontend first looks for its server
    under that path (/overview/_stcore/health, …) and then at the root: those 404s are how it
    finds its base URL, not faults of the app."""
    url = error.rsplit(" ", 1)[-1]
    path = urlparse(url).path
    return "404" in error and path.count("/") >= 3 and path.rsplit("/", 2)[-2] == "_stcore"

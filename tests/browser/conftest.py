"""Fixtures of every browser test: Debian's headless Chromium (never a downloaded one) for
pytest-playwright, a projector-sized window, and a page that records what it asks for and
every console error. Each module starts its own `streamlit run` (tests/browser/helpers.py
`serve`) over the city it needs."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.helpers import SCREENSHOTS

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}  # a projector's 16:10


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

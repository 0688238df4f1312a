"""Signing in for dashboard tests: demo users with known passwords, AppTest sessions, and
a clock the test moves (dashboard/clock.py) instead of sleeping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import clock

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PASSWORDS = {name: f"{name}-Passw0rd-demo" for name in ("admin", "approver", "city", "district", "street", "community")}


def signed_in(at: AppTest, name: str = "city") -> AppTest:
    """The app with `name` signed in (a server-side session, its id in the tab's state, as the
    sign-in form leaves it; the form itself is tested in tests/dashboard/test_access.py)."""
    from dashboard import sessions
    from pipelines.access import users

    if name in ("admin", "approver", "city") and name not in users.load():  # a test with no demo city still has them
        users.add(
            name, "市级", "", PASSWORDS[name], pii=name == "admin", admin=name == "admin", approve=name == "approver"
        )
    at.session_state["pbi_session"] = sessions.start(name, "password").id
    return at


class Clock:
    """The dashboard's clock, stopped at `at` (default: now) until the test moves it on."""

    def __init__(self, monkeypatch, at: dt.datetime | None = None) -> None:
        self.at = at or dt.datetime.now(dt.UTC)
        monkeypatch.setattr(clock, "now", lambda: self.at)

    def advance(self, **delta: float) -> dt.datetime:
        self.at += dt.timedelta(**delta)
        return self.at


def app(monkeypatch, db: Path, page: str | None = None, user: str | None = "city", **params: str) -> AppTest:
    """The dashboard over `db`, signed in as `user` (None: nobody), run once (and switched to
    views/`page`.py)."""
    monkeypatch.setenv("PBI_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        signed_in(at, user)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    return at


def capture_downloads(monkeypatch) -> dict[str, bytes]:
    """The bytes of every download button the app draws from now on, by file name (AppTest
    cannot fetch a download; the button is still drawn and its click still audited). A
    button whose `data` is a function (made on the click) has it called here, at the draw."""
    from dashboard import auth

    payloads: dict[str, bytes] = {}
    real = auth.st.download_button

    def capture(label, data, file_name, mime, **kwargs):
        made = data() if callable(data) else data
        payloads[file_name] = made if isinstance(made, bytes) else made.encode("utf-8")
        return real(label, data, file_name, mime, **kwargs)

    monkeypatch.setattr(auth.st, "download_button", capture)
    return payloads

"""Sessions that outlive a tab (dashboard/sessions.py, dashboard/session_routes.py, the gate
in dashboard/auth.py), with no generated city: the signed cookie refused when altered or
past its life, the one-time hand-off, the cookie's attributes, sessions ended on the server
by sign-out, a new password, a removed user and idle expiry — all on the test's clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import stat
from urllib.parse import urlencode

import pytest
from starlette.requests import Request
from streamlit.testing.v1 import AppTest

from dashboard import auth, sessions
from dashboard.session_routes import ROUTES, SIGN_IN, SIGN_OUT, local
from pipelines.access import audit, users
from tests.signin import APP, PASSWORDS, Clock, signed_in


def _cookie(name: str = "city", at: dt.datetime | None = None) -> tuple[sessions.Session, str]:
    """A session of `name` and the cookie value the sign-in endpoint would set for it."""
    session = sessions.start(name, "password", at)
    value = sessions.redeem(sessions.handoff(session.id, at), at)
    assert value is not None
    return session, value


def test_a_cookie_leads_to_its_session(monkeypatch):
    Clock(monkeypatch)
    session, value = _cookie()
    assert sessions.from_cookie(value) == session


@pytest.mark.parametrize("part", [0, 1, 2])
def test_an_altered_cookie_is_refused(monkeypatch, part):
    Clock(monkeypatch)
    _, value = _cookie()
    pieces = value.split(".")
    pieces[part] = ("A" if pieces[part][0] != "A" else "B") + pieces[part][1:]
    if part == 1:
        pieces[1] = str(int(value.split(".")[1]) + 1)  # a later issue time: the signature no longer fits
    assert sessions.from_cookie(".".join(pieces)) is None
    assert sessions.from_cookie("not-a-cookie") is None and sessions.from_cookie(None) is None


def test_a_cookie_signed_with_another_key_is_refused(monkeypatch, tmp_path):
    Clock(monkeypatch)
    _, value = _cookie()
    monkeypatch.setenv("PBI_USERS", str(tmp_path / "elsewhere" / "users.json"))  # another key beside it
    assert sessions.from_cookie(value) is None


def test_an_expired_cookie_is_refused(monkeypatch):
    clock = Clock(monkeypatch)
    session, value = _cookie()
    clock.advance(hours=11)
    sessions.touch(session.id)  # in use all day long
    assert sessions.from_cookie(value) == sessions.get(session.id)
    clock.advance(hours=1, seconds=1)  # past its 12 hours, however active
    assert sessions.from_cookie(value) is None


def test_the_cookie_lives_as_long_as_a_big_screen(monkeypatch):
    monkeypatch.setenv("PBI_BIGSCREEN_HOURS", "24")
    assert sessions.lifetime() == dt.timedelta(hours=24, minutes=30)


def test_a_handoff_is_used_once_and_within_a_minute(monkeypatch):
    clock = Clock(monkeypatch)
    session = sessions.start("city", "password")
    token = sessions.handoff(session.id)
    assert sessions.redeem(token) is not None
    assert sessions.redeem(token) is None  # used up
    stale = sessions.handoff(session.id)
    clock.advance(seconds=61)
    assert sessions.redeem(stale) is None
    assert sessions.redeem("made-up") is None


def test_the_store_holds_no_token_and_only_its_owner_reads_it(monkeypatch):
    Clock(monkeypatch)
    session = sessions.start("city", "password")
    token = sessions.handoff(session.id)
    value = sessions.redeem(sessions.handoff(session.id))
    text = sessions.store_path().read_text(encoding="utf-8")
    assert token not in text and value.split(".")[0] not in text
    for path in (sessions.store_path(), sessions.store_path().with_name("session-key")):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_ending_a_session_ends_its_cookies(monkeypatch):
    Clock(monkeypatch)
    session, value = _cookie()
    _, second = _cookie()
    other, kept = _cookie("admin")
    sessions.end(session.id)
    assert sessions.from_cookie(value) is None and sessions.from_cookie(second) is not None
    assert sessions.end_user("city") == 1 and sessions.from_cookie(second) is None
    assert sessions.from_cookie(kept) == other


# --- the endpoints -------------------------------------------------------------------------------


def _get(path: str, scheme: str = "http", cookie: str | None = None, site: str | None = "same-origin", **query):
    """The response of one of ROUTES to a GET."""
    headers = [(b"host", b"dashboard.example")]
    if cookie:
        headers.append((b"cookie", f"{sessions.COOKIE}={cookie}".encode()))
    if site:
        headers.append((b"sec-fetch-site", site.encode()))
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": scheme,
        "path": path,
        "query_string": urlencode(query).encode(),
        "headers": headers,
        "server": ("dashboard.example", 443 if scheme == "https" else 80),
    }
    endpoint = next(r.endpoint for r in ROUTES if r.path == path)
    return asyncio.run(endpoint(Request(scope)))


def _set_cookie(response) -> str:
    return "; ".join(v.decode() for k, v in response.raw_headers if k == b"set-cookie")


def test_the_sign_in_endpoint_sets_an_http_only_strict_cookie(monkeypatch):
    Clock(monkeypatch)
    session = sessions.start("city", "password")
    response = _get(SIGN_IN, token=sessions.handoff(session.id), next="/profile?unit=G1&level=grid")
    assert response.status_code == 303 and response.headers["location"] == "/profile?unit=G1&level=grid"
    cookie = _set_cookie(response)
    assert cookie.startswith(f"{sessions.COOKIE}=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", f"Max-Age={12 * 3600}"):
        assert attribute in cookie, cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    value = cookie.split(";")[0].split("=", 1)[1].strip('"')
    assert sessions.from_cookie(value) == sessions.get(session.id)
    over_https = _get(SIGN_IN, scheme="https", token=sessions.handoff(session.id), next="/")
    assert "Secure" in _set_cookie(over_https)


def test_the_endpoints_refuse_other_sites_and_redirect_only_here(monkeypatch):
    Clock(monkeypatch)
    session = sessions.start("city", "password")
    token = sessions.handoff(session.id)
    assert _get(SIGN_IN, site="cross-site", token=token).status_code == 403
    assert _get(SIGN_OUT, site="cross-site").status_code == 403
    assert [local(t) for t in ("//evil.example/x", "https://evil.example", "/\\\\evil", "", "/map?x=1")] == [
        "/",
        "/",
        "/",
        "/",
        "/map?x=1",
    ]
    response = _get(SIGN_IN, site=None, token=token, next="https://evil.example/")  # no header: an older browser
    assert response.headers["location"] == "/" and _set_cookie(response)
    assert _get(SIGN_IN, token=token).status_code == 303 and not _set_cookie(_get(SIGN_IN, token=token))


def test_the_sign_out_endpoint_clears_the_cookie_and_ends_its_session(monkeypatch):
    Clock(monkeypatch)
    session, value = _cookie()
    response = _get(SIGN_OUT, cookie=value, next="/rankings")
    assert response.headers["location"] == "/rankings"
    assert "Max-Age=0" in _set_cookie(response) and sessions.get(session.id) is None


# --- the gate, in AppTest (no generated city: the empty dashboard) --------------------------------


def _tab(monkeypatch, cookie: str | None) -> AppTest:
    """A new tab whose browser sends `cookie` (AppTest has no browser: the gate's read of it
    is replaced)."""
    monkeypatch.setattr(auth, "_cookie", lambda: cookie)
    return AppTest.from_file(APP, default_timeout=60).run()


def _signed_in(at: AppTest) -> bool:
    return not at.exception and not [s for s in at.subheader if s.value == "登录"] and bool(at.sidebar.caption)


@pytest.fixture
def city(monkeypatch, tmp_path):
    """An empty dashboard and its city user."""
    monkeypatch.setenv("PBI_DB", str(tmp_path / "none.duckdb"))
    users.add("city", "市级", "", PASSWORDS["city"])


def test_a_new_tab_with_the_cookie_is_signed_in(monkeypatch, city):
    Clock(monkeypatch)
    _, value = _cookie()
    assert _signed_in(_tab(monkeypatch, value))
    assert not _signed_in(_tab(monkeypatch, None))
    assert not _signed_in(_tab(monkeypatch, value[:-2] + "xx"))  # tampered: the sign-in form


def test_the_cookie_no_longer_works_after_sign_out(monkeypatch, city):
    Clock(monkeypatch)
    _, value = _cookie()
    at = _tab(monkeypatch, value)
    at.sidebar.button(key="logout").click().run()
    assert not _signed_in(at) and list(audit.read(events=["logout"])["subject"]) == ["city"]
    assert not _signed_in(_tab(monkeypatch, value))


def test_idle_expiry_ends_the_session_for_every_tab(monkeypatch, city):
    clock = Clock(monkeypatch)
    _, value = _cookie()
    first, second = _tab(monkeypatch, value), _tab(monkeypatch, value)
    clock.advance(minutes=20)
    second.run()  # activity in one tab counts for the session: the other is not idle either
    clock.advance(minutes=20)
    assert _signed_in(first.run())
    clock.advance(minutes=31)
    assert not _signed_in(first.run()) and "30 分钟未操作" in first.info[0].value
    assert not _signed_in(second.run()) and not _signed_in(_tab(monkeypatch, value))
    assert list(audit.read(events=["session_expired"])["subject"]) == ["city"]


@pytest.mark.parametrize("change", ["password", "removal"])
def test_a_changed_account_ends_its_cookie(monkeypatch, city, change):
    Clock(monkeypatch, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))  # signed in before the change
    session, value = _cookie()
    if change == "password":
        users.set_password("city", "a-brand-new-Passw0rd")
    else:
        users.remove("city")
    at = _tab(monkeypatch, value)
    assert not _signed_in(at) and sessions.get(session.id) is None
    assert list(audit.read(events=["session_ended"])["subject"]) == ["city"]


def test_the_form_sends_the_browser_for_its_cookie(monkeypatch, city):
    """A sign-in through the form starts a server-side session, this tab in it at once, and
    hands the browser a one-time token for the cookie, back to the page asked for."""
    redirects: list[str] = []
    monkeypatch.setattr(auth, "_redirect", redirects.append)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.text_input(key="login_name").input("city")
    at.text_input(key="login_password").input(PASSWORDS["city"])
    at = at.button[0].click().run()
    assert not at.exception and not at.sidebar.caption  # nothing drawn: the browser is on its way
    assert _signed_in(at.run())
    assert len(redirects) == 1 and redirects[0].startswith(f"{SIGN_IN}?token=") and "next=%2F" in redirects[0]
    token = redirects[0].split("token=")[1].split("&")[0]
    assert sessions.from_cookie(sessions.redeem(token)).id == at.session_state[auth.SESSION_KEY]


def test_signed_in_helper_matches_the_form(monkeypatch, city):
    at = signed_in(AppTest.from_file(APP, default_timeout=60), "city").run()
    assert _signed_in(at)

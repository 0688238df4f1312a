"""Sign-in, sessions and the audit of what leaves the dashboard.

`gate()` runs at the top of every page run. With no valid session the app shows
`login_page()` in place of the page asked for (which opens once signed in). With one, it
reloads the user from the users file (a removed user, or one whose password was changed
since they signed in, is signed out at their next click), ends a session idle longer than
PBI_SESSION_MINUTES (default 30), and sets the viewer whose scope and rights the data layer
applies.

A session lives on the server (dashboard/sessions.py), not in the browser tab: signing in
sends the browser once through `/pbi/signin`, which sets an HttpOnly cookie leading to it, so
a reload, a shared link opened in a new tab or a big screen reloading itself stays signed in.
Sign-out, idle expiry, a changed password and a removed user end it there: every tab and
the old cookie with it.

Sign-in is by name and password (argon2id hashes in the users file), or by the city's OIDC
identity provider through `st.login` when `[auth]` is configured in .streamlit/secrets.toml;
an OIDC identity signs in as the user of the same name (its e-mail address). Five failed
attempts for a name within five minutes lock it for five minutes (kept in the audit log, so a
restart does not unlock it). Every sign-in, failure, lockout, sign-out, expiry, download and
user change is written to the audit log. Time is read from dashboard/clock.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlparse

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import clock, sessions
from dashboard.i18n import t
from dashboard.session_routes import SIGN_IN, SIGN_OUT
from dashboard.viewer import KEY as VIEWER_KEY
from dashboard.viewer import Viewer, current
from pipelines import settings
from pipelines.access import audit, users

SESSION_KEY = "pbi_session"  # session state: the id of this tab's server-side session
NAME_MAX = 64  # longer typed names are cut before they reach the audit log


def timeout() -> dt.timedelta:
    return settings.session_timeout()


def _client() -> str | None:
    """The browser's address, for the audit log (none when no browser is behind the run)."""
    try:
        address = st.context.ip_address
    except Exception:
        return None
    return address if isinstance(address, str) else None


@st.cache_data(show_spinner=False, max_entries=4)
def _users(path: str, mtime: int) -> dict[str, users.User]:
    """The users file as of its modification time (a change is read at the next click)."""
    return users.load(Path(path))


def all_users() -> dict[str, users.User]:
    path = users.users_path()
    return _users(str(path), path.stat().st_mtime_ns if path.exists() else 0)


def record(event: str, **fields: object) -> None:
    """An audit event by the signed-in user."""
    audit.record(current().name, event, client=_client(), **fields)


def _redirect(url: str) -> None:
    """Send the browser to `url` on this server, a full page load (as `st.login` does)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        message = ForwardMsg()
        message.auth_redirect.url = url
        ctx.enqueue(message)


def _here() -> str:
    """This page's path and query: where the browser returns once the cookie is set."""
    try:
        path = urlparse(st.context.url or "/").path or "/"
    except Exception:
        path = "/"
    query = urlencode(st.query_params.to_dict())
    return f"{path}?{query}" if query else path


def _cookie() -> str | None:
    """The session cookie the browser sent when this tab connected (None without a browser)."""
    try:
        return st.context.cookies.get(sessions.COOKIE)
    except Exception:
        return None


def _session() -> sessions.Session | None:
    """This tab's server-side session: the one it signed in to, else the one its cookie leads
    to; None when there is none, or it has ended (signed out in another tab, say)."""
    sid = st.session_state.get(SESSION_KEY)
    if isinstance(sid, str):
        session = sessions.get(sid)
        if session is None:
            st.session_state.pop(SESSION_KEY, None)
        return session
    session = sessions.from_cookie(_cookie())
    if session is not None:
        st.session_state[SESSION_KEY] = session.id
    return session


def _end(event: str, session: sessions.Session, message: str | None = None) -> None:
    """End `session` on the server (every tab and cookie of it) and audit why."""
    sessions.end(session.id)
    audit.record(session.name, event, subject=session.name, client=_client())
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(VIEWER_KEY, None)
    if message:
        st.session_state["login_message"] = message


def sign_out() -> None:
    session = _session()
    if session is not None:
        _end("logout", session)
    if session is not None and session.method == "oidc" and _oidc_user():
        st.logout()
    else:
        _redirect(f"{SIGN_OUT}?{urlencode({'next': _here()})}")  # the cookie cleared too


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def _oidc_user() -> str | None:
    """The signed-in OIDC identity's e-mail (or subject), when st.login was used."""
    if not oidc_configured():
        return None
    try:
        info = st.user
        if not info.get("is_logged_in"):
            return None
        return info.get("email") or info.get("sub")
    except Exception:
        return None


def oidc_match(identity: str | None, known: dict[str, users.User]) -> users.User | None:
    """The user an OIDC identity signs in as: the one named by it exactly (case-insensitive
    for e-mail addresses); none for an identity with no user."""
    if not identity:
        return None
    folded = {name.casefold(): user for name, user in known.items()}
    return folded.get(identity.casefold())


def attempt(name: str, password: str, at: dt.datetime | None = None) -> str | None:
    """Check a sign-in; on success start the session and return None, else the message to show."""
    name = users.lookup_key(name.strip()[:NAME_MAX])  # `ADMIN`, `ａｄｍｉｎ`: tried, and counted, as admin
    at = at or clock.now()
    client = _client()
    if not name or not password:
        return t("login.missing")
    locked = audit.reserve(name, at)  # atomic: at most five checks in five minutes, also at once
    if locked:
        audit.record(name, "login_locked", subject=name, client=client, at=at)
        return t("login.locked", minutes=_minutes(locked - at))
    user = users.verify(all_users(), name, password)
    if user is None:
        audit.record(name, "login_failed", subject=name, client=client, at=at, detail={"method": "password"})
        locked = audit.locked_until(name, at)
        return t("login.locked", minutes=_minutes(locked - at)) if locked else t("login.failed")
    _start(user, "password", at)
    return None


def _minutes(left: dt.timedelta) -> int:
    return max(1, -(-int(left.total_seconds()) // 60))


def _start(user: users.User, method: str, at: dt.datetime) -> sessions.Session:
    """Start a server-side session, and send the browser for its cookie and back here."""
    audit.record(user.name, "login_ok", subject=user.name, client=_client(), at=at, detail={"method": method})
    session = sessions.start(user.name, method, at)
    st.session_state[SESSION_KEY] = session.id  # this tab is signed in even before the cookie is set
    _redirect(f"{SIGN_IN}?{urlencode({'token': sessions.handoff(session.id, at), 'next': _here()})}")
    return session


def login_page() -> None:
    st.title(t("app.title"))
    st.caption(t("app.subtitle"))
    st.subheader(t("login.title"))
    message = st.session_state.pop("login_message", None)
    if message:
        st.info(message)
    with st.form("login", clear_on_submit=True, enter_to_submit=True):
        name = st.text_input(t("login.name"), key="login_name", max_chars=NAME_MAX, autocomplete="username")
        password = st.text_input(
            t("login.password"), key="login_password", type="password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(t("login.submit"), type="primary")
    if submitted:
        error = attempt(name, password)
        if error is None:
            # Nothing more this run: the browser is on its way for the cookie, and a page run
            # now would write its URL, which cancels that navigation.
            st.stop()
        st.error(error)
    if oidc_configured():
        st.divider()
        st.button(t("login.oidc"), on_click=st.login, key="login_oidc")
    st.caption(t("login.help"))


def _oidc_session() -> None:
    """Start a session for an OIDC identity signed in by st.login, if it names a user."""
    identity = _oidc_user()
    if not identity:
        return
    user = oidc_match(identity, all_users())
    if user is None:
        audit.record(
            identity[:NAME_MAX],
            "login_failed",
            subject=identity[:NAME_MAX],
            client=_client(),
            detail={"method": "oidc", "reason": "no such user"},
        )
        st.session_state["login_message"] = t("login.oidc_unknown", identity=identity)
        st.logout()
        return
    _start(user, "oidc", clock.now())
    st.stop()  # as after the form: the browser is on its way for the cookie


def _account(session: sessions.Session) -> users.User | None:
    """The session's user as the users file has it now; None when removed, or when the
    password changed since the session began."""
    user = all_users().get(session.name)
    if user is None or dt.datetime.fromisoformat(user.password_changed_at) > session.signed_in:
        return None
    return user


def gate(meeting: bool = False) -> Viewer | None:
    """The viewer of this run, or None when nobody is signed in (the caller shows
    `login_page()`): ends sessions of removed users, changed passwords and idle screens."""
    session = _session()
    if session is None:
        _oidc_session()
        st.session_state.pop(VIEWER_KEY, None)
        return None
    at = clock.now()
    user = _account(session)
    if user is None:
        _end("session_ended", session, t("login.ended"))
    elif at - session.last_seen > timeout():
        _end("session_expired", session, t("login.expired", minutes=_minutes(timeout())))
    else:
        sessions.touch(session.id, at)
        # `approve` came with issue 15: a users file written before it has no such right.
        viewer = Viewer(
            user.name, user.role, user.scope, user.pii, user.admin, meeting, getattr(user, "approve", False)
        )
        st.session_state[VIEWER_KEY] = viewer
        return viewer
    if session.method == "oidc" and _oidc_user():
        st.logout()  # else the identity provider's sign-in would start a new session at once
    return None


def watch_expiry() -> None:
    """Sign an idle page out by itself (a screen left open), checked a few times per timeout
    without counting as activity; a session ended elsewhere (another tab signed out) too."""
    every = max(2.0, min(60.0, timeout().total_seconds() / 3))

    @st.fragment(run_every=every)
    def _watch() -> None:
        sid = st.session_state.get(SESSION_KEY)
        session = sessions.get(sid) if isinstance(sid, str) else None
        if session is None or clock.now() - session.last_seen > timeout():
            st.rerun(scope="app")

    _watch()


def display_cap() -> dt.timedelta:
    """How long after sign-in a display keeps itself signed in (PBI_BIGSCREEN_HOURS, default 8)."""
    return settings.bigscreen_limit()


def keep_alive_display(at: dt.datetime | None = None) -> bool:
    """A display in use — the big screen turning its panels, with nobody at the keyboard —
    counts as activity: the session's idle clock restarts, so a projector in a two-hour meeting
    is not signed out. Only a live session is kept (one already idle past the timeout is left
    for the gate to end), and only up to `display_cap()` after sign-in (a reload does not
    restart it: the session is the server's): then the idle timeout runs as for any page, and
    the screen returns to the sign-in page PBI_SESSION_MINUTES after its last refresh. A user
    removed, or whose password changed, is not kept: the whole app reruns, and the gate ends
    the session. Returns whether the session was refreshed."""
    sid = st.session_state.get(SESSION_KEY)
    session = sessions.get(sid) if isinstance(sid, str) else None
    if session is None:
        return False
    at = at or clock.now()
    if at - session.last_seen > timeout() or at - session.signed_in > display_cap():
        return False
    if _account(session) is None:
        st.rerun(scope="app")
    sessions.touch(session.id, at)
    return True


def download(
    label: str,
    data: bytes | str | Callable[[], bytes],
    file_name: str,
    mime: str,
    *,
    what: str,
    rows: int,
    scope: str | None = None,
    key: str | None = None,
    detail: dict | None = None,
    event: str = "download",
) -> None:
    """A download button whose click is written to the audit log as `event`: who, when,
    which file, the scope of its data and its row count. `data` may be a function, called on
    the click (Streamlit runs it apart from the page: it must not read session state)."""
    viewer = current()
    scope = viewer.scope if scope is None else viewer.narrow(scope)
    st.download_button(
        label,
        data,
        file_name,
        mime,
        key=key,
        on_click=_downloaded,
        args=(what, file_name, scope, rows, detail or {}, event),
    )


def _downloaded(what: str, file_name: str, scope: str, rows: int, detail: dict, event: str = "download") -> None:
    record(event, what=what, scope=scope, rows=rows, detail={"file": file_name, **detail})

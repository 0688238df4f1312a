"""Sign-in, sessions and the audit of what leaves the dashboard.

`gate()` runs at the top of every page run. With no valid session the app shows
`login_page()` in place of the page asked for (which opens once signed in). With one, it
reloads the user from the users file (a removed user, or one whose password was changed
since they signed in, is signed out at their next click), ends a
session idle longer than PBI_SESSION_MINUTES (default 30), and sets the viewer whose scope
and rights the data layer applies.

Sign-in is by name and password (argon2id hashes in the users file), or by the city's OIDC
identity provider through `st.login` when `[auth]` is configured in .streamlit/secrets.toml;
an OIDC identity signs in as the user of the same name (its e-mail address). Five failed
attempts for a name within five minutes lock it for five minutes (kept in the audit log, so a
restart does not unlock it). Every sign-in, failure, lockout, sign-out, expiry, download and
user change is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.i18n import t
from dashboard.viewer import KEY as VIEWER_KEY
from dashboard.viewer import Viewer, current
from pipelines.access import audit, users

SESSION_KEY = "pbi_session"
NAME_MAX = 64  # longer typed names are cut before they reach the audit log


@dataclass
class Session:
    name: str
    method: str  # "password" or "oidc"
    signed_in: dt.datetime
    last_seen: dt.datetime


def timeout() -> dt.timedelta:
    return dt.timedelta(minutes=float(os.environ.get("PBI_SESSION_MINUTES", "30")))


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


def _end(event: str, name: str, message: str | None = None) -> None:
    audit.record(name, event, subject=name, client=_client())
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(VIEWER_KEY, None)
    if message:
        st.session_state["login_message"] = message


def sign_out() -> None:
    session = st.session_state.get(SESSION_KEY)
    if isinstance(session, Session):
        _end("logout", session.name)
        if session.method == "oidc" and _oidc_user():
            st.logout()


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
    name = name.strip()[:NAME_MAX]
    at = at or audit.now()
    client = _client()
    if not name or not password:
        return t("login.missing")
    locked = audit.locked_until(name, at)
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


def _start(user: users.User, method: str, at: dt.datetime) -> None:
    audit.record(user.name, "login_ok", subject=user.name, client=_client(), at=at, detail={"method": method})
    st.session_state[SESSION_KEY] = Session(user.name, method, at, at)


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
            st.rerun()
        st.error(error)
    if oidc_configured():
        st.divider()
        st.button(t("login.oidc"), on_click=st.login, key="login_oidc")
    st.caption(t("login.help"))


def _oidc_session() -> None:
    """Start a session for an OIDC identity signed in by st.login, if it names a user."""
    identity = _oidc_user()
    if not identity or isinstance(st.session_state.get(SESSION_KEY), Session):
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
    _start(user, "oidc", audit.now())


def _account(session: Session) -> users.User | None:
    """The session's user as the users file has it now; None when removed, or when the
    password changed since the session began."""
    user = all_users().get(session.name)
    if user is None or dt.datetime.fromisoformat(user.password_changed_at) > session.signed_in:
        return None
    return user


def gate(meeting: bool = False) -> Viewer | None:
    """The viewer of this run, or None when nobody is signed in (the caller shows
    `login_page()`): ends sessions of removed users, changed passwords and idle screens."""
    _oidc_session()
    session = st.session_state.get(SESSION_KEY)
    if not isinstance(session, Session):
        st.session_state.pop(VIEWER_KEY, None)
        return None
    at = audit.now()
    user = _account(session)
    if user is None:
        _end("session_ended", session.name, t("login.ended"))
        return None
    if at - session.last_seen > timeout():
        _end("session_expired", session.name, t("login.expired", minutes=_minutes(timeout())))
        return None
    session.last_seen = at
    viewer = Viewer(user.name, user.role, user.scope, user.pii, user.admin, meeting)
    st.session_state[VIEWER_KEY] = viewer
    return viewer


def watch_expiry() -> None:
    """Sign an idle page out by itself (a screen left open), checked a few times per timeout
    without counting as activity."""
    every = max(2.0, min(60.0, timeout().total_seconds() / 3))

    @st.fragment(run_every=every)
    def _watch() -> None:
        session = st.session_state.get(SESSION_KEY)
        if isinstance(session, Session) and audit.now() - session.last_seen > timeout():
            st.rerun(scope="app")

    _watch()


def display_cap() -> dt.timedelta:
    """How long after sign-in a display keeps itself signed in (PBI_BIGSCREEN_HOURS, default 8)."""
    return dt.timedelta(hours=float(os.environ.get("PBI_BIGSCREEN_HOURS", "8")))


def keep_alive_display(at: dt.datetime | None = None) -> bool:
    """A display in use — the big screen turning its panels, with nobody at the keyboard —
    counts as activity: the session's idle clock restarts, so a projector in a two-hour meeting
    is not signed out. Only a live session is kept (one already idle past the timeout is left
    for the gate to end), and only up to `display_cap()` after sign-in: then the idle timeout
    runs as for any page, and the screen returns to the sign-in page PBI_SESSION_MINUTES after
    its last refresh. A user removed, or whose password changed, is not kept: the whole app
    reruns, and the gate ends the session. Returns whether the session was refreshed."""
    session = st.session_state.get(SESSION_KEY)
    if not isinstance(session, Session):
        return False
    at = at or audit.now()
    if at - session.last_seen > timeout() or at - session.signed_in > display_cap():
        return False
    if _account(session) is None:
        st.rerun(scope="app")
    session.last_seen = at
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
) -> None:
    """A download button whose click is written to the audit log: who, when, which file,
    the scope of its data and its row count. `data` may be a function, called on the click
    (Streamlit runs it apart from the page: it must not read session state)."""
    viewer = current()
    scope = viewer.scope if scope is None else viewer.narrow(scope)
    st.download_button(
        label,
        data,
        file_name,
        mime,
        key=key,
        on_click=_downloaded,
        args=(what, file_name, scope, rows, detail or {}),
    )


def _downloaded(what: str, file_name: str, scope: str, rows: int, detail: dict) -> None:
    record("download", what=what, scope=scope, rows=rows, detail={"file": file_name, **detail})

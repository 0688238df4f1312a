"""Server-side sessions that outlive a browser tab: a reload, a shared link opened in a new tab
or a big screen reloading itself stays signed in, through a signed, expiring, HttpOnly cookie.

The store (`sessions.json` beside the users file, mode 0600) keeps each session — its user,
sign-in method, when it began and when it was last used — and the SHA-256 hashes of the tokens
that lead to it, never a token itself: a copy of the file signs nobody in. Two kinds of token:
a cookie token (the browser's `pbi_session` cookie) and a one-time hand-off token (60 s), by
which the sign-in form, which runs in Streamlit's websocket and cannot set a cookie, has the
browser fetch `/pbi/signin` (dashboard/session_routes.py), whose HTTP response sets it.

Ending a session (sign-out, idle expiry, a changed password, a removed user) deletes it and
all its tokens, here, on the server: the old cookie no longer leads anywhere. The file is
changed under a lock and replaced atomically, so several dashboard processes (and restarts)
share it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard import clock
from pipelines import settings

COOKIE = "pbi_session"
HANDOFF_LIFE = dt.timedelta(seconds=60)
WORKDAY = dt.timedelta(hours=12)  # a cookie's life at least: a working day, however active


@dataclass(frozen=True)
class Session:
    id: str  # never sent to a browser: the cookie holds a token whose hash leads here
    name: str
    method: str  # "password" or "oidc"
    signed_in: dt.datetime
    last_seen: dt.datetime


def lifetime() -> dt.timedelta:
    """How long a cookie is good for after sign-in, however active its user: a working day,
    or longer where a big screen is kept signed in longer."""
    return max(WORKDAY, settings.bigscreen_limit() + settings.session_timeout())


def store_path() -> Path:
    return settings.users_path().parent / "sessions.json"


def _key_path() -> Path:
    return settings.users_path().parent / "session-key"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")  # one form: compared as text


def _key() -> bytes:
    """The cookie-signing key, made on first use (mode 0600); a lost key only signs everyone out."""
    path = _key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    return path.read_bytes()


def _mac(body: str) -> str:
    digest = hmac.new(_key(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(token: str, at: dt.datetime) -> str:
    """The cookie's value: the token, when it was issued, and their signature."""
    body = f"{token}.{int(at.timestamp())}"
    return f"{body}.{_mac(body)}"


def unsign(value: str, at: dt.datetime | None = None) -> str | None:
    """The token in a cookie value, or None when the value was altered or is past its life."""
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_mac(body), parts[2]):
        return None
    issued = dt.datetime.fromtimestamp(int(parts[1]), dt.UTC)
    at = at or clock.now()
    if not issued - dt.timedelta(minutes=1) <= at < issued + lifetime():
        return None
    return parts[0]


def _load(path: Path) -> dict:
    if not path.exists():
        return {"sessions": {}, "tokens": {}}
    return json.loads(path.read_text(encoding="utf-8"))


@contextlib.contextmanager
def _changing() -> Iterator[dict]:
    """The store, to change in place: read and written back under a lock, atomically."""
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        store = _load(path)
        yield store
        _prune(store, clock.now())
        temp = path.with_name(path.name + ".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(store, out, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(temp, path)


def _prune(store: dict, at: dt.datetime) -> None:
    """Drop sessions unused for a whole cookie life, used hand-offs' leftovers and tokens
    leading nowhere (an idle session is ended by the page that finds it, which says so)."""
    old = _iso(at - lifetime())
    store["sessions"] = {k: s for k, s in store["sessions"].items() if s["last_seen"] >= old}
    handoff_old = _iso(at - HANDOFF_LIFE)
    store["tokens"] = {
        h: t
        for h, t in store["tokens"].items()
        if t["session"] in store["sessions"] and (t["kind"] != "handoff" or t["created"] >= handoff_old)
    }


def _session(sid: str, row: dict) -> Session:
    return Session(
        sid,
        row["name"],
        row["method"],
        dt.datetime.fromisoformat(row["signed_in"]),
        dt.datetime.fromisoformat(row["last_seen"]),
    )


def start(name: str, method: str, at: dt.datetime | None = None) -> Session:
    """A new session for `name`, signed in now."""
    at = at or clock.now()
    sid = secrets.token_hex(16)
    with _changing() as store:
        store["sessions"][sid] = {"name": name, "method": method, "signed_in": _iso(at), "last_seen": _iso(at)}
    return Session(sid, name, method, at, at)


def _token(sid: str, kind: str, at: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    with _changing() as store:
        if sid not in store["sessions"]:
            raise KeyError("no such session")
        store["tokens"][_hash(token)] = {"session": sid, "kind": kind, "created": _iso(at)}
    return token


def handoff(sid: str, at: dt.datetime | None = None) -> str:
    """A one-time token (good for a minute) that `redeem` turns into a cookie for session `sid`."""
    return _token(sid, "handoff", at or clock.now())


def redeem(handoff_token: str, at: dt.datetime | None = None) -> str | None:
    """The signed cookie value for the session a hand-off token leads to, the hand-off used
    up; None for an unknown, used or stale hand-off."""
    at = at or clock.now()
    with _changing() as store:
        row = store["tokens"].pop(_hash(handoff_token), None)
    if row is None or row["kind"] != "handoff" or at - dt.datetime.fromisoformat(row["created"]) > HANDOFF_LIFE:
        return None
    try:
        return sign(_token(row["session"], "cookie", at), at)
    except KeyError:  # ended in the minute between
        return None


def from_cookie(value: str | None, at: dt.datetime | None = None) -> Session | None:
    """The session a cookie value leads to: None when unsigned, altered, past its life, or
    when its session has ended."""
    token = unsign(value, at) if value else None
    if token is None:
        return None
    store = _load(store_path())
    row = store["tokens"].get(_hash(token))
    if row is None or row["kind"] != "cookie":
        return None
    return get(row["session"], store)


def get(sid: str, store: dict | None = None) -> Session | None:
    """Session `sid` as the store has it now; None once ended."""
    row = (store or _load(store_path()))["sessions"].get(sid)
    return None if row is None else _session(sid, row)


def touch(sid: str, at: dt.datetime | None = None) -> None:
    """Session `sid` in use now: its idle clock restarts."""
    at = at or clock.now()
    with _changing() as store:
        row = store["sessions"].get(sid)
        if row is not None and row["last_seen"] < _iso(at):
            row["last_seen"] = _iso(at)


def end(sid: str) -> None:
    """End session `sid`: it and every token leading to it are gone."""
    with _changing() as store:
        store["sessions"].pop(sid, None)


def end_user(name: str) -> int:
    """End every session of `name` (a user removed, or given a new password); how many."""
    with _changing() as store:
        ended = [sid for sid, row in store["sessions"].items() if row["name"] == name]
        for sid in ended:
            del store["sessions"][sid]
    return len(ended)

"""The audit log: every sign-in (and failed one), every download and export (who, when, what,
scope, how many rows) and every change to users, in its own DuckDB file that publication
never replaces (PBI_AUDIT, default data/audit/audit.duckdb).

Append-only by construction: this module only inserts, and each row carries a SHA-256 over
its content and the previous row's hash. `verify()` recomputes the chain in one query, so a
row changed or deleted afterwards shows as a break (`python -m pipelines audit verify`).

The dashboard, the command line and a second dashboard may all write. Each write opens the
file briefly (DuckDB lets one process write at a time) and retries while another holds it;
writes within a process are serialised so the chain never forks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines import settings

if TYPE_CHECKING:
    import pandas as pd

LOCKOUT_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=5)
# What ends a run of failures: a successful sign-in, an administrator's unlock, a new password.
RESETS = ("login_ok", "user_unlocked", "password_changed")
EVENTS = (
    "login_ok",
    "login_failed",
    "login_locked",
    "logout",
    "session_expired",
    "session_ended",
    "access_denied",
    "download",
    "export",
    "user_added",
    "user_removed",
    "password_changed",
    "user_unlocked",
)
COLUMNS = ("seq", "logged_at", "actor", "event", "subject", "what", "scope", "row_count", "detail", "client")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, logged_at TIMESTAMPTZ NOT NULL, actor VARCHAR NOT NULL, event VARCHAR NOT NULL,
    subject VARCHAR, what VARCHAR, scope VARCHAR, row_count BIGINT, detail VARCHAR, client VARCHAR,
    row_hash VARCHAR NOT NULL)"""
# One row's content as hashed: every column, NULL told apart from '', the time as microseconds
# (independent of the session's time zone).
_CONTENT = """
CREATE OR REPLACE TEMP MACRO audit_content(
    seq, logged_at, actor, event, subject, what, scope, row_count, detail, client) AS
    concat_ws(chr(31), seq, epoch_us(logged_at), actor, event, coalesce(subject, chr(0)), coalesce(what, chr(0)),
              coalesce(scope, chr(0)), coalesce(row_count::VARCHAR, chr(0)), coalesce(detail, chr(0)),
              coalesce(client, chr(0)))"""
_ARGS = "seq, logged_at, actor, event, subject, what, scope, row_count, detail, client"

_write_lock = threading.Lock()


def audit_path() -> Path:
    """PBI_AUDIT, else data/audit/audit.duckdb under the repository (pipelines/settings.py)."""
    return settings.audit_path()


def _connect(path: Path, patience: float = 15.0) -> duckdb.DuckDBPyConnection:
    """The audit file, opened for writing as soon as no other process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    deadline, pause = time.monotonic() + patience, 0.02
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as e:  # another process has it open: wait our turn
            if "lock" not in str(e).lower() or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
    con.execute(_SCHEMA)
    con.execute(_CONTENT)
    if new:  # readable by the server's account only, like the users file
        os.chmod(path, 0o600)
    return con


CHINA = dt.timezone(dt.timedelta(hours=8), "CST")  # times are shown in China time (no daylight saving)


def _instant(epoch_us: int) -> dt.datetime:
    """A UTC time from microseconds (DuckDB hands TIMESTAMPTZ to Python only through pytz)."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=epoch_us)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def record(
    actor: str,
    event: str,
    *,
    subject: str | None = None,
    what: str | None = None,
    scope: str | None = None,
    rows: int | None = None,
    detail: dict | None = None,
    client: str | None = None,
    at: dt.datetime | None = None,
    path: Path | None = None,
) -> int:
    """Append one event; returns its sequence number."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event: {event}")
    values = [
        at or now(),
        actor,
        event,
        subject,
        what,
        scope,
        rows,
        json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        client,
    ]
    with _write_lock, _connect(path or audit_path()) as con:
        return con.execute(
            f"""INSERT INTO audit_log
            WITH last AS (
                SELECT coalesce(max(seq), 0) AS seq, coalesce(arg_max(row_hash, seq), '') AS hash FROM audit_log),
            new AS (
                SELECT last.seq + 1 AS seq, ?::TIMESTAMPTZ AS logged_at, ? AS actor, ? AS event, ? AS subject,
                       ? AS what, ? AS scope, ?::BIGINT AS row_count, ? AS detail, ? AS client, last.hash AS prev
                FROM last)
            SELECT {_ARGS}, sha256(prev || audit_content({_ARGS})) FROM new
            RETURNING seq""",
            values,
        ).fetchall()[0][0]


def read(
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actors: list[str] | None = None,
    events: list[str] | None = None,
    text: str = "",
    limit: int = 5000,
    path: Path | None = None,
) -> pd.DataFrame:
    """Events newest first, filtered by time, actor or subject, event and a text in what,
    scope or detail (matched literally: % and _ are not wildcards)."""
    path = path or audit_path()
    with _write_lock, _connect(path) as con:
        return con.execute(
            f"""SELECT {", ".join(COLUMNS)} FROM audit_log
            WHERE (?::TIMESTAMPTZ IS NULL OR logged_at >= ?) AND (?::TIMESTAMPTZ IS NULL OR logged_at < ?)
              AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], actor) OR list_contains(?::VARCHAR[], subject))
              AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], event))
              AND (? = '' OR contains(concat_ws(' ', what, scope, detail, subject), ?))
            ORDER BY seq DESC LIMIT ?""",
            [since, since, until, until, *[actors or []] * 3, *[events or []] * 2, text, text, limit],
        ).df()


def verify(path: Path | None = None) -> tuple[int, list[int]]:
    """(rows, sequence numbers where the chain breaks): a row whose hash is not that of its
    content and its predecessor's hash, or a gap in the sequence. An empty list: intact."""
    with _write_lock, _connect(path or audit_path()) as con:
        rows = con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
        broken = con.execute(
            f"""SELECT seq FROM (
                SELECT seq, row_hash, seq - lag(seq, 1, 0) OVER w AS step,
                       sha256(coalesce(lag(row_hash) OVER w, '') || audit_content({_ARGS})) AS expected
                FROM audit_log WINDOW w AS (ORDER BY seq))
            WHERE row_hash <> expected OR step <> 1 ORDER BY seq"""
        ).fetchall()
    return rows, [b[0] for b in broken]


def lockouts(
    at: dt.datetime | None = None, names: list[str] | None = None, path: Path | None = None
) -> dict[str, dt.datetime]:
    """Every lockout in force at `at` (now by default), of `names` or of everyone: {name: when
    it ends}. Five failed sign-ins within five minutes, not followed by a success, unlock or
    new password, lock the name for five minutes from the fifth. Refused attempts do not
    extend it. One query over the whole log, partitioned by name."""
    at = at or now()
    with _write_lock, _connect(path or audit_path()) as con:
        rows = con.execute(
            """WITH reset AS (
                SELECT subject, max(logged_at) AS t FROM audit_log
                WHERE list_contains(?::VARCHAR[], event) AND logged_at <= ? GROUP BY subject),
            failures AS (
                SELECT a.subject, a.logged_at AS t,
                       count(*) OVER (PARTITION BY a.subject ORDER BY a.logged_at
                                      RANGE BETWEEN ?::INTERVAL PRECEDING AND CURRENT ROW) AS run
                FROM audit_log a LEFT JOIN reset r USING (subject)
                WHERE a.event = 'login_failed' AND a.logged_at <= ?
                  AND a.logged_at > coalesce(r.t, '-infinity'::TIMESTAMPTZ)
                  AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], a.subject)))
            SELECT subject, epoch_us(max(t) + ?::INTERVAL) AS until FROM failures WHERE run >= ?
            GROUP BY subject HAVING max(t) + ?::INTERVAL > ?""",
            [list(RESETS), at, LOCKOUT, at, names, names, LOCKOUT, LOCKOUT_FAILURES, LOCKOUT, at],
        ).fetchall()
    return {name: _instant(until) for name, until in rows}


def locked_until(name: str, at: dt.datetime | None = None, path: Path | None = None) -> dt.datetime | None:
    """When this name's lockout ends, if one is in force at `at` (see lockouts)."""
    return lockouts(at, [name], path).get(name)


def last_logins(path: Path | None = None) -> dict[str, dt.datetime]:
    """Each user's latest successful sign-in."""
    with _write_lock, _connect(path or audit_path()) as con:
        rows = con.execute(
            "SELECT subject, epoch_us(max(logged_at)) FROM audit_log WHERE event = 'login_ok' GROUP BY subject"
        ).fetchall()
    return {name: _instant(us) for name, us in rows}

"""The audit log: every sign-in (and failed one), every download and export (who, when, what,
scope, how many rows), every change to users and to the evaluation register (adjustments,
evidence downloads, review transitions, objections, rectification updates), in its own DuckDB file that publication
never replaces (PBI_AUDIT, default data/audit/audit.duckdb).

Append-only by construction: this module only inserts into `audit_log`. Each row carries an
HMAC-SHA256, keyed by a secret kept outside the log (settings.audit_key_path()), over its
content and the previous row's hash; and every append records the log's head (row count and
last hash) beside the key. So `verify()` finds a row changed even when its hashes were
recomputed (nobody without the key can), and a deleted newest row (the head says more). A log
written before the chain was keyed keeps its plain SHA-256 rows: the first keyed append adds
an `audit_keyed` marker row, which seals them, and `verify()` reports them as legacy.

The dashboard, the command line and a second dashboard may all write. Each write opens the
file briefly (DuckDB lets one process write at a time), queueing on a lock file beside it;
writes within a process are serialised so the chain never forks. The same lock makes sign-in
attempts atomic: `reserve()` records an attempt before its password is checked, and refuses
the sixth within five minutes (also when eight arrive at once).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
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
    "adjustment_added",
    "adjustment_approved",
    "adjustment_rejected",
    "adjustment_revoked",
    "evidence_downloaded",
    "review_submitted",
    "review_approved",
    "review_rejected",
    "review_withdrawn",
    "review_published",
    "review_corrected",
    "objection_filed",
    "objection_resolved",
    "rectification_updated",
    "rectification_confirmed",
)
MARKER = "audit_keyed"  # the row from which a pre-HMAC log is keyed (written by this module only)
COLUMNS = ("seq", "logged_at", "actor", "event", "subject", "what", "scope", "row_count", "detail", "client")

# The content columns as the audit_content macro (sql/audit_content_macro.sql) takes them.
_ARGS = ", ".join(COLUMNS)
SQL = Path(__file__).resolve().parent / "sql"

_write_lock = threading.Lock()


def audit_path() -> Path:
    """PBI_AUDIT, else data/audit/audit.duckdb under the repository (pipelines/settings.py)."""
    return settings.audit_path()


@functools.cache
def _sql(name: str) -> str:
    """The statement of sql/`name`.sql (one per file)."""
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def _run(con: duckdb.DuckDBPyConnection, name: str, /, **params: object) -> duckdb.DuckDBPyConnection:
    """Execute sql/`name`.sql with its named parameters ($name); values reach SQL only as parameters."""
    return con.execute(_sql(name), params)


@contextlib.contextmanager
def _connect(path: Path, patience: float = 15.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The audit file, open for writing, as long as the `with` lasts. Processes queue on a lock
    file beside it first: the kernel hands it on the moment it is free, where polling DuckDB's
    own lock alone could starve a process behind another that writes in a loop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gate = os.open(path.with_name(path.name + ".writer"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)
        with _open(path, patience) as con:
            yield con
    finally:
        os.close(gate)  # releases the lock


def _open(path: Path, patience: float) -> duckdb.DuckDBPyConnection:
    """The audit file, opened as soon as no other process holds it."""
    new = not path.exists()
    deadline, pause = time.monotonic() + patience, 0.02
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as e:
            # Another process has it open (a lock), or is creating it right now (a file that is
            # not a database yet): wait our turn.
            if not ("lock" in str(e).lower() or new) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
    _run(con, "audit_log_table")
    _run(con, "sign_in_attempts_table")
    _run(con, "audit_content_macro")
    if new:  # readable by the server's account only, like the users file
        os.chmod(path, 0o600)
    return con


CHINA = dt.timezone(dt.timedelta(hours=8), "CST")  # times are shown in China time (no daylight saving)


def _instant(epoch_us: int) -> dt.datetime:
    """A UTC time from microseconds (DuckDB hands TIMESTAMPTZ to Python only through pytz)."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=epoch_us)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditKeyError(RuntimeError):
    """The audit chain's key is missing or does not match the log: restore it from the backup."""


def key_path() -> Path:
    """PBI_AUDIT_KEY_FILE, else `audit-key` beside the users file (pipelines/settings.py)."""
    return settings.audit_key_path()


def _key(create: bool) -> bytes | None:
    """The chain's key (made on first use, owner-only); None when absent and not to be made."""
    path = key_path()
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    text = path.read_text().strip()
    if len(text) < 32:
        raise AuditKeyError(f"{path}: 审计密钥过短或为空 (the audit key is too short or empty)")
    return text.encode()


def fingerprint(key: bytes) -> str:
    """Names a key without revealing it (kept in the head and the marker row)."""
    return hmac.new(key, b"pbi audit key fingerprint", hashlib.sha256).hexdigest()[:16]


def _mac(key: bytes, prev: str, content: str) -> str:
    return hmac.new(key, (prev + content).encode(), hashlib.sha256).hexdigest()


def _plain(prev: str, content: str) -> str:
    """A row hash as written before the chain was keyed."""
    return hashlib.sha256((prev + content).encode()).hexdigest()


def head_path(log: Path) -> Path:
    """Where the head of this log is recorded: in the key's folder, one file per log (by its path)."""
    tag = hashlib.sha256(str(log.resolve()).encode()).hexdigest()[:16]
    return key_path().with_name(f"audit-head-{tag}.json")


def _read_head(log: Path) -> dict | None:
    path = head_path(log)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _write_head(log: Path, head: dict) -> None:
    """Replace the head atomically (a new file, owner-only, renamed over the old)."""
    path = head_path(log)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(head, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _last(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    return _run(con, "audit_last").fetchall()[0]


def _append(con: duckdb.DuckDBPyConnection, key: bytes, last: tuple[int, str], values: dict) -> tuple[int, str]:
    """Insert one row after `last` (seq, hash), its hash keyed; returns its (seq, hash).
    `values`: every column of COLUMNS but seq."""
    seq = last[0] + 1
    content = _run(con, "audit_new_content", seq=seq, **values).fetchall()[0][0]
    row_hash = _mac(key, last[1], content)
    _run(con, "audit_append", seq=seq, **values, row_hash=row_hash)
    return seq, row_hash


def _row(
    at: dt.datetime,
    actor: str,
    event: str,
    subject: str | None = None,
    what: str | None = None,
    scope: str | None = None,
    rows: int | None = None,
    detail: str | None = None,
    client: str | None = None,
) -> dict:
    """A new row's values by column name (seq aside)."""
    return {
        "logged_at": at,
        "actor": actor,
        "event": event,
        "subject": subject,
        "what": what,
        "scope": scope,
        "row_count": rows,
        "detail": detail,
        "client": client,
    }


def _keyed(con: duckdb.DuckDBPyConnection, log: Path) -> tuple[bytes, dict | None, tuple[int, str]]:
    """The key, the recorded head and the log's last (seq, hash), ready to append: the key is
    made for a new log, refused when lost for a keyed one, and a pre-HMAC log gets its marker."""
    head, last = _read_head(log), _last(con)
    key = _key(create=head is None)
    if key is None:
        raise AuditKeyError(
            f"{key_path()}: 审计密钥不见了，请从备份恢复 (the audit log is keyed, but its key is missing: "
            "restore the key file from the backup; a new key would break the chain)"
        )
    if head is not None and head.get("key") != fingerprint(key):
        raise AuditKeyError(f"{key_path()}: 审计密钥与日志不符 (this key is not the one the log was written with)")
    if head is None and last[0] > 0:  # written before the chain was keyed: seal those rows
        detail = json.dumps({"key": fingerprint(key), "legacy_rows": last[0]}, sort_keys=True)
        last = _append(con, key, last, _row(now(), "system", MARKER, detail=detail))
        head = {"rows": last[0], "hash": last[1], "key": fingerprint(key)}
    return key, head, last


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
    """Append one event; returns its sequence number. The head is written while the log is
    still held, so heads follow appends in order; one found not matching the log (a row
    deleted or replaced since) is kept in the head as `mismatch`, which verify() reports."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event: {event}")
    values = _row(
        at or now(),
        actor,
        event,
        subject,
        what,
        scope,
        rows,
        json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        client,
    )
    log = path or audit_path()
    with _write_lock, _connect(log) as con:
        key, head, last = _keyed(con, log)
        mismatch = (head or {}).get("mismatch")
        if head is not None and mismatch is None and (head["rows"], head["hash"]) != last:
            mismatch = {"seq": _mismatch_seq(head["rows"], last[0]), "recorded": head["rows"], "found": last[0]}
        seq, row_hash = _append(con, key, last, values)
        new_head = {"rows": seq, "hash": row_hash, "key": fingerprint(key)}
        _write_head(log, new_head | ({"mismatch": mismatch} if mismatch else {}))
        return seq


def _mismatch_seq(recorded: int, found: int) -> int:
    """The sequence number a head mismatch is reported at: the recorded last row, or the first
    row beyond it."""
    return recorded if found <= recorded else recorded + 1


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
        return _run(
            con,
            "audit_read",
            since=since,
            until=until,
            actors=actors or [],
            events=events or [],
            text=text,
            limit=limit,
        ).df()


@dataclass(frozen=True)
class Check:
    """What verify found: rows, sequence numbers where the chain breaks (a row whose hash is
    not that of its content and its predecessor's hash, or a gap), rows written before the
    chain was keyed, and problems with the head or the key (each a sentence)."""

    rows: int
    broken: list[int] = field(default_factory=list)
    legacy: int = 0
    problems: list[str] = field(default_factory=list)
    head_seq: int | None = None  # where a head mismatch is reported

    @property
    def intact(self) -> bool:
        return not self.broken and not self.problems


def check(path: Path | None = None) -> Check:
    """Recompute the whole chain: plain SHA-256 up to the `audit_keyed` marker (a log written
    before the chain was keyed), HMAC from there (or from the first row of a newer log), and
    compare the last row with the recorded head."""
    log = path or audit_path()
    with _write_lock, _connect(log) as con:
        rows = _run(con, "audit_chain").fetchall()
        head = _read_head(log)
    key = _key(create=False)
    markers = [i for i, r in enumerate(rows) if r[2] == MARKER]
    # Where the keyed part starts: the marker; none in a log that has no head yet (never
    # written since the upgrade: all legacy); else the first row.
    start = markers[0] if markers else (len(rows) if head is None else 0)
    problems: list[str] = []
    if key is None and (head is not None or start < len(rows)):
        problems.append(f"审计密钥不见了 (the audit key is missing): {key_path()}")
    elif key is not None and head is not None and head.get("key") != fingerprint(key):
        problems.append("审计密钥与日志不符 (the key is not the one the log was written with)")
    broken, prev = [], ""
    for i, (seq, row_hash, _event, content) in enumerate(rows):
        step_ok = seq == (rows[i - 1][0] if i else 0) + 1
        if i < start:
            ok = row_hash == _plain(prev, content)
        else:
            ok = key is not None and hmac.compare_digest(row_hash, _mac(key, prev, content))
        if not (ok and step_ok):
            broken.append(seq)
        prev = row_hash
    head_seq = None
    last = (rows[-1][0], rows[-1][1]) if rows else (0, "")
    if head is None and start < len(rows):
        problems.append("没有记录的链头 (head missing: the recorded row count and last hash are gone)")
    elif head is not None:
        mismatch = head.get("mismatch")
        if mismatch:
            head_seq = mismatch["seq"]
            problems.append(
                f"链头不符 (head mismatch): 写入时记录为 {mismatch['recorded']} 条，日志中只有 {mismatch['found']} 条 "
                f"(recorded {mismatch['recorded']} rows, the log had {mismatch['found']} at the next write)"
            )
        if (head["rows"], head["hash"]) != last:
            head_seq = _mismatch_seq(head["rows"], last[0]) if head_seq is None else head_seq
            problems.append(
                f"链头不符 (head mismatch): 记录为 {head['rows']} 条，日志有 {last[0]} 条或末行不同 "
                f"(recorded {head['rows']} rows ending {head['hash'][:12]}…, the log has {last[0]})"
            )
    return Check(len(rows), broken, min(start, len(rows)), problems, head_seq)


def verify(path: Path | None = None) -> tuple[int, list[int]]:
    """(rows, sequence numbers where the chain breaks, a head mismatch included at the row it
    concerns): an empty list when intact. `check()` says more."""
    result = check(path)
    broken = sorted(set(result.broken) | ({result.head_seq} if result.head_seq else set()))
    if result.problems and not broken:  # a lost or wrong key: nothing verifies
        broken = [result.rows]
    return result.rows, broken


def reseal(path: Path | None = None) -> Check:
    """Record the log as it is now as its head, after a deliberate restore from a backup:
    only when every row verifies with the key. Returns the check it made."""
    log = path or audit_path()
    result = check(log)
    if result.broken or any("密钥" in p for p in result.problems):
        return result
    with _write_lock, _connect(log) as con:
        key, last = _key(create=False), _last(con)
        if key is not None and last[0] > 0:
            _write_head(log, {"rows": last[0], "hash": last[1], "key": fingerprint(key)})
    return check(log)


def _lockouts(con: duckdb.DuckDBPyConnection, at: dt.datetime, names: list[str] | None) -> dict[str, dt.datetime]:
    rows = _run(
        con, "lockouts", resets=list(RESETS), at=at, lockout=LOCKOUT, names=names, failures=LOCKOUT_FAILURES
    ).fetchall()
    return {name: _instant(until) for name, until in rows}


def lockouts(
    at: dt.datetime | None = None, names: list[str] | None = None, path: Path | None = None
) -> dict[str, dt.datetime]:
    """Every lockout in force at `at` (now by default), of `names` or of everyone: {name: when
    it ends}. Five failed sign-ins within five minutes, not followed by a success, unlock or
    new password, lock the name for five minutes from the fifth. Refused attempts do not
    extend it. One query over the whole log, partitioned by name."""
    with _write_lock, _connect(path or audit_path()) as con:
        return _lockouts(con, at or now(), names)


def locked_until(name: str, at: dt.datetime | None = None, path: Path | None = None) -> dt.datetime | None:
    """When this name's lockout ends, if one is in force at `at` (see lockouts)."""
    return lockouts(at, [name], path).get(name)


def reserve(name: str, at: dt.datetime | None = None, path: Path | None = None) -> dt.datetime | None:
    """Reserve one password check for `name` at `at`, atomically (under the log's write lock,
    which is also the file's lock across processes): None when granted — the attempt is
    recorded before the password is checked — else when the refusal ends. Refused: a lockout
    in force (see lockouts), or five attempts already reserved within five minutes, leaving
    out those reserved before the last success, unlock or new password (a success clears the
    attempts before it, not those sent with it: eight at once are five checks, whichever is right)."""
    at = at or now()
    with _write_lock, _connect(path or audit_path()) as con:
        until = _lockouts(con, at, [name]).get(name)
        if until is not None:
            return until
        reserved = _run(con, "sign_in_reserved", name=name, resets=list(RESETS), at=at, lockout=LOCKOUT)
        count, first = reserved.fetchall()[0]
        if count >= LOCKOUT_FAILURES:
            return _instant(first) + LOCKOUT
        _run(con, "sign_in_prune", at=at)
        _run(con, "sign_in_reserve", name=name, at=at)
    return None


def last_logins(path: Path | None = None) -> dict[str, dt.datetime]:
    """Each user's latest successful sign-in."""
    with _write_lock, _connect(path or audit_path()) as con:
        rows = _run(con, "last_logins").fetchall()
    return {name: _instant(us) for name, us in rows}

"""The evaluation register: what an organization department decides about the results, kept in
a DuckDB file of its own beside the published warehouse (pbi.duckdb → pbi.evaluation.duckdb,
so `--db` selects both) and its evidence files in a folder beside it (pbi.evaluation.files/).
No load or computation writes or replaces them: they publish pbi.duckdb and pbi.scores.duckdb.

Everything in it is appended, never changed or deleted. Its schema is versioned per component
(table schema_version): 'adjustments' (加减分, 一票否决), and 'review' (the review events of each
period, objections and their resolutions, rectification items and their updates).

DuckDB lets one process write a file, or several read it. Writers queue on a lock file beside
it (`.writer`, as the audit log does), so a busy writer never starves another; readers open it
read-only for as long as a query lasts, and wait while a writer holds it. Within one process a
lock orders both (DuckDB refuses a read-only and a writing connection to one file at once).
The file, its lock and the evidence files are owner-only (0600), the evidence folder 0700.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines import vocabulary

SQL = Path(__file__).resolve().parent / "sql"
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")  # the register's times are China time

# Each component's schema steps, in order: step n is the list of statements (sql/ files) that
# bring the component from version n-1 to n.
MIGRATIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "adjustments": (("adjustments_table", "adjustment_decisions_table"),),
    # The evaluation workflow (review.py, objections.py, rectification.py; docs/review.md).
    "review": (
        (
            "review_events_table",
            "objections_table",
            "objection_resolutions_table",
            "rectification_items_table",
            "rectification_updates_table",
        ),
    ),
}

_lock = threading.RLock()  # readers and writers of this process, one at a time


def evaluation_path(db: Path) -> Path:
    """The register that belongs to the warehouse `db` (pbi.duckdb → pbi.evaluation.duckdb)."""
    db = Path(db)
    return db.with_name(f"{db.stem}.evaluation.duckdb")


def evidence_dir(db: Path) -> Path:
    """Where the register's evidence files are kept (pbi.duckdb → pbi.evaluation.files/)."""
    db = Path(db)
    return db.with_name(f"{db.stem}.evaluation.files")


def now() -> dt.datetime:
    """The present moment in China time, without a zone (as the register stores times)."""
    return dt.datetime.now(CHINA).replace(tzinfo=None)


def _quoted(words: tuple[str, ...]) -> str:
    return ", ".join("'" + w.replace("'", "''") + "'" for w in words)


# Words of pipelines/vocabulary.py a statement names as {levels}, {kinds}, …: written there once.
# (Replaced, not str.format: the statements hold regular expressions such as \d{4}.)
_VOCABULARY = {
    "{levels}": _quoted(vocabulary.LEVELS),
    "{kinds}": _quoted(vocabulary.ADJUSTMENT_KINDS),
    "{bonus}": _quoted((vocabulary.BONUS,)),
    "{deduction}": _quoted((vocabulary.DEDUCTION,)),
}


@functools.cache
def sql(name: str) -> str:
    """The statement of sql/`name`.sql (one per file), with the vocabulary's words filled in."""
    text = (SQL / f"{name}.sql").read_text(encoding="utf-8")
    for token, words in _VOCABULARY.items():
        text = text.replace(token, words)
    return text


def run(con: duckdb.DuckDBPyConnection, name: str, /, **params: object) -> duckdb.DuckDBPyConnection:
    """Execute sql/`name`.sql with its named parameters ($name); values reach SQL only as parameters."""
    return con.execute(sql(name), params) if params else con.execute(sql(name))


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring every component's tables up to its latest step (each step recorded once)."""
    run(con, "schema_version_table")
    for component, steps in MIGRATIONS.items():
        (reached,) = run(con, "schema_version_get", component=component).fetchall()[0]
        for version, statements in enumerate(steps, start=1):
            if version <= reached:
                continue
            for statement in statements:
                run(con, statement)
            run(con, "schema_version_set", component=component, version=version, at=now())


def _connect(path: Path, read_only: bool, patience: float) -> duckdb.DuckDBPyConnection:
    """The register, opened as soon as no other process keeps us out: a writer holds it (a
    lock), or is creating it right now (a file that is not a database yet)."""
    deadline, pause = time.monotonic() + patience, 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as e:
            being_made = not path.exists() or path.stat().st_size == 0
            if not ("lock" in str(e).lower() or being_made) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


@contextlib.contextmanager
def writing(db: Path, patience: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The register of `db`, open for writing as long as the `with` lasts, its schema up to
    date, inside a transaction (committed when the block ends, rolled back on an error).
    Processes queue on the gate file first; the kernel hands it on the moment it is free."""
    path = evaluation_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        gate = os.open(path.with_name(path.name + ".writer"), os.O_WRONLY | os.O_CREAT, 0o600)
        private = os.umask(0o077)  # the file and its WAL are owner-only from their creation
        try:
            fcntl.flock(gate, fcntl.LOCK_EX)
            con = _connect(path, read_only=False, patience=patience)
            try:
                os.chmod(path, 0o600)
                migrate(con)
                con.begin()
                try:
                    yield con
                except BaseException:
                    con.rollback()
                    raise
                con.commit()
            finally:
                con.close()
        finally:
            os.umask(private)
            os.close(gate)  # releases the gate


@contextlib.contextmanager
def reading(db: Path, patience: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The register of `db`, read-only, for one short read. A register not made yet reads as
    empty: an in-memory database with its tables."""
    path = evaluation_path(db)
    with _lock:
        if not path.exists():
            con = duckdb.connect(":memory:")
            migrate(con)
        else:
            con = _connect(path, read_only=True, patience=patience)
        try:
            yield con
        finally:
            con.close()


# --- evidence: content-addressed files ---------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_evidence(db: Path, data: bytes) -> str:
    """Keep `data` in the evidence folder under its SHA-256 (owner-only); returns the hash. A
    file already there is kept if its content is still that hash, else replaced. The written
    file is read back and checked."""
    digest = sha256(data)
    folder = evidence_dir(db)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / digest
    if target.exists() and sha256(target.read_bytes()) == digest:
        return digest
    tmp = folder / f".{digest}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    if sha256(target.read_bytes()) != digest:
        raise OSError(f"{target}: 证据文件写入后校验不符 (the stored evidence does not match its SHA-256)")
    return digest


def read_evidence(db: Path, digest: str) -> bytes | None:
    """The evidence stored under `digest`; None when it is missing. The caller checks the hash."""
    target = evidence_dir(db) / digest
    return target.read_bytes() if target.is_file() else None

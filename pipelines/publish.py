"""Atomic publishing of the warehouse database, shared by load and compute.

A writer works on a copy of the published file and renames it over the original only when
it succeeded: readers holding the old file keep their snapshot, and a writer that fails or
is killed leaves the published file as it was. Writers take an exclusive lock, so a load
and a compute never overwrite each other's work.

The files hold members' names: they are owner-only (0600) from their creation, like the users
file and the audit log, and so are DuckDB's WAL and spill files made while writing; a file
published by an older version with wider permissions is narrowed at its next publish.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

OWNER_ONLY = 0o600


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
        return True
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True


@contextlib.contextmanager
def publishing(db: Path) -> Iterator[Path]:
    """Yield the path of a working copy of `db`; on success it replaces `db` atomically."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.parent / f".{db.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for another writer to finish
        for stale in db.parent.glob(f".{db.name}.building-*"):
            if not _pid_alive(stale.name.rsplit("-", 1)[-1]):
                stale.unlink(missing_ok=True)
        building = db.parent / f".{db.name}.building-{os.getpid()}"
        private = os.umask(0o077)  # what DuckDB creates meanwhile (the file, its WAL) is owner-only
        try:
            if db.exists():
                with open(db, "rb") as src, os.fdopen(_create_private(building), "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
            yield building
            os.chmod(building, OWNER_ONLY)
            os.replace(building, db)
        finally:
            os.umask(private)
            building.unlink(missing_ok=True)
            Path(f"{building}.wal").unlink(missing_ok=True)


def _create_private(path: Path) -> int:
    """A new owner-only file (a stale one of the same name is replaced)."""
    path.unlink(missing_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)

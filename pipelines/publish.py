"""Atomic publishing of the warehouse database, shared by load and compute.

A writer works on a copy of the published file and renames it over the original only when
it succeeded: readers holding the old file keep their snapshot, and a writer that fails or
is killed leaves the published file as it was. Writers take an exclusive lock, so a load
and a compute never overwrite each other's work.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


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
        if db.exists():
            shutil.copyfile(db, building)
        try:
            yield building
            os.replace(building, db)
        finally:
            building.unlink(missing_ok=True)

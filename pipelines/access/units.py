"""The units of the published warehouse that a user can be bound to (read through the serving layer)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.serve.query import frame


def known_units(db: Path) -> set[str] | None:
    """Every district, street and community path with grids; None when nothing is published."""
    if not Path(db).exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        return set(frame(con, "known_units")["path"])


def first_community(db: Path) -> tuple[str, str, str]:
    """District, street and community of the first community (in sort order) — for demo users."""
    with duckdb.connect(str(db), read_only=True) as con:
        return tuple(frame(con, "first_community").iloc[0])

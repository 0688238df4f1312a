"""The units of the published warehouse that a user can be bound to."""

from __future__ import annotations

from pathlib import Path

import duckdb


def known_units(db: Path) -> set[str] | None:
    """Every district, street and community path with grids; None when nothing is published."""
    if not Path(db).exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            """SELECT DISTINCT unnest(
                   [district, district || '/' || street, district || '/' || street || '/' || community])
               FROM grids"""
        ).fetchall()
    return {r[0] for r in rows}


def first_community(db: Path) -> tuple[str, str, str]:
    """District, street and community of the first community (in sort order) — for demo users."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT district, street, community FROM grids ORDER BY ALL LIMIT 1").fetchall()[0]

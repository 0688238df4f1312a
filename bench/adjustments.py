"""Approved adjustments for the compute benchmark: 100 entries (加分, 扣分, 一票否决) against units
of every level, in quarters and years, entered and approved through the register's own API by
two bench users, so that `compute` applies them as it would an office's.

Run: python -m bench.adjustments DB (writes DB's evaluation register, and a users file and
audit log of the bench's own in the folder of DB).
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.vocabulary import BONUS, DEDUCTION, VETO

ENTRIES = 100
PASSWORD = "bench-Passw0rd-adjust"


def _units(db: Path) -> list[tuple[str, str]]:
    """(level, unit) of every unit, written as in the score export."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("""SELECT DISTINCT * FROM (
            SELECT 'grid', grid_id FROM grids
            UNION ALL SELECT 'community', district || '/' || street || '/' || community FROM grids
            UNION ALL SELECT 'street', district || '/' || street FROM grids
            UNION ALL SELECT 'district', district FROM grids) ORDER BY ALL""").fetchall()
    return [(level, unit) for level, unit in rows]


def _periods(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        quarters = [
            p
            for (p,) in con.execute("""SELECT DISTINCT strftime(service_date, '%Y') || 'Q' || quarter(service_date)
                FROM services ORDER BY 1""").fetchall()
        ]
    return quarters + sorted({q[:4] for q in quarters})


def seed(db: Path, entries: int = ENTRIES) -> int:
    """Enter and approve `entries` adjustments beside the warehouse `db`; returns how many."""
    folder = db.parent
    os.environ[settings.USERS.name] = str(folder / "bench-users.json")
    os.environ[settings.AUDIT.name] = str(folder / "bench-audit.duckdb")
    from pipelines.access import users
    from pipelines.evaluation import adjustments

    known = users.load()
    if "bench-admin" not in known:
        users.add("bench-admin", "市级", "", PASSWORD, admin=True)
    if "bench-approver" not in known:
        users.add("bench-approver", "市级", "", PASSWORD, approve=True)
    rng = random.Random(20251)
    units, periods = _units(db), _periods(db)
    for n in range(entries):
        level, unit = rng.choice(units)
        kind, points = (
            (VETO, 0) if n % 10 == 9 else (DEDUCTION, -rng.randint(1, 8)) if n % 3 == 2 else (BONUS, rng.randint(1, 3))
        )
        entry = adjustments.add(
            db,
            level=level,
            unit=unit,
            period=rng.choice(periods),
            kind=kind,
            points=points,
            reason=f"基准测试 {n + 1}",
            by="bench-admin",
        )
        adjustments.approve(db, entry, by="bench-approver")
    return entries


if __name__ == "__main__":
    print(seed(Path(sys.argv[1])))

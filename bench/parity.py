"""Spark's marts against DuckDB's at the benchmark's scale: the rows of each mart of one run in
one results database against another's, matched on the mart's key; numbers to 1e-9, every
other column exactly (the demo city's tests do the same: tests/spark/test_compute_parity.py)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

TOLERANCE = 1e-9
# Each mart's key; its DOUBLE columns are compared to TOLERANCE, the rest exactly.
KEYS = {
    "unit_scores": ("period", "level", "unit_id"),
    "indicator_scores": ("period", "level", "unit_id"),
    "member_scores": ("pkey", "member_no"),
    "member_points": ("pkey", "member_no"),
    "org_points": ("period", "org_id"),
    "run_periods": ("period",),
    "run_adjustments": ("adjustment_id",),
    "run_tiers": ("tier_no",),
}


def _rows(path: Path, table: str, run: int) -> tuple[list[str], list[str], list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        cur = con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = {int(run)}")
        names, types = [d[0] for d in cur.description], [str(d[1]) for d in cur.description]
        return names, types, cur.fetchall()


def _same(a: object, b: object, approx: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE) if approx else a == b


def compare(expected: tuple[Path, int], got: tuple[Path, int]) -> dict[str, dict]:
    """Per mart: rows on each side and rows that differ (missing on one side or unequal)."""
    out = {}
    for table, key in KEYS.items():
        names, types, want = _rows(expected[0], table, expected[1])
        got_names, _, have = _rows(got[0], table, got[1])
        if got_names != names:
            out[table] = {"rows": len(want), "spark_rows": len(have), "differ": max(len(want), len(have))}
            continue
        at = [names.index(k) for k in key]
        approx = [t == "DOUBLE" for t in types]
        by_key = {tuple(r[i] for i in at): r for r in want}
        differ = sum(
            1
            for r in have
            if (w := by_key.get(tuple(r[i] for i in at))) is None
            or not all(_same(a, b, x) for a, b, x in zip(r, w, approx, strict=True))
        )
        out[table] = {"rows": len(want), "spark_rows": len(have), "differ": differ + abs(len(want) - len(have))}
    return out

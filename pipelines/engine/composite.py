"""A general composite-indicator engine, set-based in DuckDB.

A tree of nodes: indicators (level 1) scored from raw values, and aggregates (levels 2…)
combining their children by weighted arithmetic or geometric mean, skipping missing
children and renormalising weights, with a minimum weight share for a defined result.
The same engine scores members and units; the party-building methodology is one tree,
the COINr ASEM reference another (tests/test_engine_reference.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

SQL = Path(__file__).resolve().parent.parent / "sql" / "engine"
NORMALISATIONS = ("goalposts", "minmax", "zscore", "none")
AGGREGATIONS = ("amean", "gmean")


@dataclass(frozen=True)
class Node:
    code: str
    parent: str | None
    level: int  # 1 = indicator
    weight: float = 1.0
    direction: int = 1  # indicators: +1 higher is better, −1 lower is better
    normalise: str = "none"
    lo: float | None = None  # goalposts
    hi: float | None = None
    out_lo: float = 0.0  # scale of indicator scores (goalposts, minmax)
    out_hi: float = 100.0
    aggregate: str = "amean"  # aggregates
    min_share: float = 0.0

    def __post_init__(self) -> None:
        if self.level == 1 and self.normalise not in NORMALISATIONS:
            raise ValueError(f"{self.code}: normalisation {self.normalise!r} not one of {NORMALISATIONS}")
        if self.level > 1 and self.aggregate not in AGGREGATIONS:
            raise ValueError(f"{self.code}: aggregation {self.aggregate!r} not one of {AGGREGATIONS}")
        if self.normalise == "goalposts" and not (self.lo is not None and self.hi is not None and self.lo < self.hi):
            raise ValueError(f"{self.code}: goalposts need lo < hi (got {self.lo}, {self.hi})")
        if self.direction not in (1, -1):
            raise ValueError(f"{self.code}: direction must be 1 or -1")
        if not self.weight >= 0:
            raise ValueError(f"{self.code}: weight must be a number ≥ 0")


def _check_tree(nodes: list[Node]) -> None:
    codes = {n.code for n in nodes}
    if len(codes) != len(nodes):
        raise ValueError("node codes must be unique")
    by_code = {n.code: n for n in nodes}
    for n in nodes:
        if n.parent is not None:
            parent = by_code.get(n.parent)
            if parent is None:
                raise ValueError(f"{n.code}: unknown parent {n.parent!r}")
            if parent.level <= n.level:
                raise ValueError(f"{n.code}: parent {n.parent} must be of a higher level")


def score(con: duckdb.DuckDBPyConnection, values: str, nodes: list[Node]) -> str:
    """Score the tree over `values` (a table or view: unit, grp, code, value) and return the
    name of the result table eng_scores (unit, grp, code, level, score, share).

    grp: what normalisation over units is computed within (e.g. a period and level).
    """
    _check_tree(nodes)
    frame = pd.DataFrame([n.__dict__ for n in nodes])
    con.register("_nodes", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE eng_nodes AS SELECT * FROM _nodes")
    con.unregister("_nodes")
    con.execute(f"CREATE OR REPLACE TEMP VIEW eng_values AS SELECT unit, grp, code, value FROM {values}")
    con.execute((SQL / "normalise.sql").read_text(encoding="utf-8"))
    template = (SQL / "aggregate.sql").read_text(encoding="utf-8")
    for level in sorted({n.level for n in nodes if n.level > 1}):
        con.execute(template.format(level=level))
    return "eng_scores"

"""A general composite-indicator engine: a tree compiled to one set-based DuckDB query.

A tree of nodes: indicators (level 1) scored from raw values, and aggregates (levels 2…)
combining their children by weighted arithmetic or geometric mean, skipping missing
children and renormalising weights, with a minimum for a defined result: a share of the
children's weight (min_share), or an absolute sum of the weights present (min_weight).
Per indicator: direction, normalisation (goalposts; min-max or z-score over the units of a
group), weight and missing-data rule (skip it and reweight, or score it at the bottom).

The tree becomes column expressions over a wide table (one row per unit, one column per
indicator), so scoring a million members costs one scan, not a join per tree level. The same
engine scores members (the vanguard score) and units; the COINr ASEM reference is a third tree
(tests/engine/test_composite.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

NORMALISATIONS = ("goalposts", "minmax", "zscore", "none")
AGGREGATIONS = ("amean", "gmean")
MISSING_RULES = ("skip", "zero")  # skip: drop and reweight; zero: score at the bottom of the scale
SHARE_TOLERANCE = 1e-12


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
    missing: str = "skip"
    min_weight: float | None = None  # aggregates: the weights present must sum to this (replaces min_share)

    def __post_init__(self) -> None:
        if self.level == 1 and self.normalise not in NORMALISATIONS:
            raise ValueError(f"{self.code}: normalisation {self.normalise!r} not one of {NORMALISATIONS}")
        if self.level > 1 and self.aggregate not in AGGREGATIONS:
            raise ValueError(f"{self.code}: aggregation {self.aggregate!r} not one of {AGGREGATIONS}")
        if self.normalise == "goalposts" and not (self.lo is not None and self.hi is not None and self.lo < self.hi):
            raise ValueError(f"{self.code}: goalposts need lo < hi (got {self.lo}, {self.hi})")
        if self.direction not in (1, -1):
            raise ValueError(f"{self.code}: direction must be 1 or -1")
        if not (self.weight >= 0 and math.isfinite(self.weight)):
            raise ValueError(f"{self.code}: weight must be a number ≥ 0")
        if self.min_weight is not None and not (self.min_weight >= 0 and math.isfinite(self.min_weight)):
            raise ValueError(f"{self.code}: min_weight must be a number ≥ 0")
        if self.missing not in MISSING_RULES:
            raise ValueError(f"{self.code}: missing-data rule {self.missing!r} not one of {MISSING_RULES}")
        if self.missing == "zero" and self.normalise not in ("goalposts", "minmax"):
            raise ValueError(f"{self.code}: missing = 'zero' needs a bounded scale (goalposts or minmax)")


def check_tree(nodes: Sequence[Node]) -> None:
    codes = {n.code for n in nodes}
    if len(codes) != len(nodes):
        raise ValueError("node codes must be unique")
    by_code = {n.code: n for n in nodes}
    for n in nodes:
        if n.parent is None:
            continue
        parent = by_code.get(n.parent)
        if parent is None:
            raise ValueError(f"{n.code}: unknown parent {n.parent!r}")
        if parent.level <= n.level:
            raise ValueError(f"{n.code}: parent {n.parent} must be of a higher level")
        if parent.aggregate == "gmean" and n.level == 1 and n.normalise in ("zscore", "none"):
            raise ValueError(f"{n.parent}: a geometric mean needs children on a positive scale, {n.code} is not")
    for n in nodes:
        if n.level > 1 and not any(c.parent == n.code for c in nodes):
            raise ValueError(f"{n.code}: an aggregate without children")


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _num(x: float) -> str:
    """A DOUBLE literal (a plain 0.35 would be a DECIMAL in DuckDB, and mixed arithmetic slower)."""
    return f"{float(x)!r}::DOUBLE"


def _indicator_expr(n: Node, window: str) -> str:
    x = ident(n.code)
    xd = x if n.direction == 1 else f"(-{x})"
    span = _num(n.out_hi - n.out_lo)
    if n.normalise == "goalposts":
        t = f"least(greatest(({x} - {_num(n.lo)}) / {_num(n.hi - n.lo)}, 0), 1)"
        t = t if n.direction == 1 else f"(1 - {t})"
        expr = f"{_num(n.out_lo)} + {span} * {t}"
    elif n.normalise == "minmax":
        lo, hi = f"min({xd}) OVER {window}", f"max({xd}) OVER {window}"
        expr = f"{_num(n.out_lo)} + {span} * ({xd} - {lo}) / nullif({hi} - {lo}, 0)"
    elif n.normalise == "zscore":
        expr = f"({xd} - avg({xd}) OVER {window}) / nullif(stddev_samp({xd}) OVER {window}, 0)"
    else:
        expr = f"CAST({xd} AS DOUBLE)"
    # Always guard: DuckDB's least/greatest skip NULLs, so a missing value would score 0.
    when_missing = _num(n.out_lo) if n.missing == "zero" else "NULL"
    return f"CASE WHEN {x} IS NULL THEN {when_missing} ELSE {expr} END"


def _aggregate_expr(p: Node, children: list[Node]) -> str:
    total = sum(c.weight for c in children)
    present = " + ".join(f"CASE WHEN {ident(c.code)} IS NULL THEN 0 ELSE {_num(c.weight)} END" for c in children)
    if p.aggregate == "gmean":  # ln(0) = −inf, exp(−inf) = 0: a zero child makes the mean zero
        terms = " + ".join(f"coalesce({_num(c.weight)} * ln({ident(c.code)}), 0)" for c in children)
        value = f"exp(({terms}) / nullif(({present}), 0))"
    else:
        terms = " + ".join(f"coalesce({_num(c.weight)} * {ident(c.code)}, 0)" for c in children)
        value = f"({terms}) / nullif(({present}), 0)"
    threshold = p.min_share * total if p.min_weight is None else p.min_weight
    need = threshold - SHARE_TOLERANCE * max(total, 1.0)
    return f"CASE WHEN ({present}) > 0 AND ({present}) >= {_num(need)} THEN {value} END"


def aggregate_expr(nodes: Sequence[Node], code: str) -> str:
    """The SQL expression of aggregate `code` over columns named by its children's codes (e.g.
    a year's composite over its annual indices)."""
    p = next(n for n in nodes if n.code == code)
    return _aggregate_expr(p, [c for c in nodes if c.parent == code])


def compile_tree(
    nodes: Sequence[Node], source: str, keys: Sequence[str], group: Sequence[str] = (), carry: Sequence[str] = ()
) -> str:
    """A SELECT over `source` (keys, carried columns, one raw-value column per indicator code)
    returning keys, carried columns and one score column per node, named by its code.
    Normalisation over units (minmax, zscore) runs within `group`."""
    check_tree(nodes)
    window = f"(PARTITION BY {', '.join(ident(g) for g in group)})" if group else "()"
    passthrough = [ident(k) for k in (*keys, *carry)]
    indicators = [n for n in nodes if n.level == 1]
    cols = passthrough + [f"{_indicator_expr(n, window)} AS {ident(n.code)}" for n in indicators]
    sql = f"SELECT {', '.join(cols)} FROM {source}"
    for level in sorted({n.level for n in nodes if n.level > 1}):
        exprs = [
            f"{_aggregate_expr(p, [c for c in nodes if c.parent == p.code])} AS {ident(p.code)}"
            for p in nodes
            if p.level == level
        ]
        sql = f"SELECT *, {', '.join(exprs)} FROM ({sql})"
    return sql


def score_wide(
    con: duckdb.DuckDBPyConnection,
    source: str,
    nodes: Sequence[Node],
    keys: Sequence[str],
    group: Sequence[str] = (),
    carry: Sequence[str] = (),
    into: str = "eng_wide",
) -> str:
    """Score the tree over a wide `source` into the temp table `into`; returns its name."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS {compile_tree(nodes, source, keys, group, carry)}")
    return into


def score(con: duckdb.DuckDBPyConnection, values: str, nodes: Sequence[Node]) -> str:
    """Long-format convenience: `values` (unit, grp, code, value) → table eng_scores
    (unit, grp, code, level, score), one row per node with a score; normalisation within grp."""
    check_tree(nodes)
    pivot = ", ".join(
        f"max(value) FILTER (WHERE code = '{n.code.replace(chr(39), chr(39) * 2)}') AS {ident(n.code)}"
        for n in nodes
        if n.level == 1
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE eng_long_in AS SELECT unit, grp, {pivot} FROM {values} GROUP BY ALL")
    score_wide(con, "eng_long_in", nodes, keys=("unit", "grp"), group=("grp",))
    levels = ", ".join(f"('{n.code.replace(chr(39), chr(39) * 2)}', {n.level})" for n in nodes)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE eng_scores AS
        SELECT u.unit, u.grp, u.code, l.level, u.score
        FROM (UNPIVOT eng_wide ON {", ".join(ident(n.code) for n in nodes)} INTO NAME code VALUE score) u
        JOIN (VALUES {levels}) l(code, level) USING (code)""")
    return "eng_scores"

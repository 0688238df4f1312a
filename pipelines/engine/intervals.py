"""Rank intervals: how much a unit's rank depends on the weights.

The ranking is redone for every seeded draw of weights — every weight of the tree (indicator
weights within their index, index weights within the composite) × an independent U[min, max]
factor — with the indicator scores fixed; each unit gets the 5th and 95th percentile of its
ranks. Member component weights define V5/V6's raw values and stay fixed.

Per period and level this is matrix work (units × draws), so the tree is evaluated in NumPy
with the same rules as the SQL engine (skip missing children, renormalise, minimum share).
Percentiles are discrete: the smallest rank whose share of draws reaches the quantile.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np

from pipelines.engine.composite import SHARE_TOLERANCE, Node, ident
from pipelines.engine.methodology import RankIntervals

RANK_DECIMALS = 9  # as the marts: float noise never splits a tie


def draws(nodes: Sequence[Node], config: RankIntervals) -> dict[str, np.ndarray]:
    """Per weighted node (every node with a parent), its weight in each replication."""
    weighted = [n for n in nodes if n.parent is not None]
    rng = np.random.default_rng(int(config.seed))
    factors = rng.uniform(
        float(config.weight_factor_min),
        float(config.weight_factor_max),
        (int(config.replications), len(weighted)),
    )
    return {n.code: factors[:, j] * n.weight for j, n in enumerate(weighted)}


def _log(carried: tuple[np.ndarray, np.ndarray], parent: Node) -> np.ndarray:
    """A child's values as its parent aggregates them: logs for a geometric mean (log 0 → a
    huge negative, so that exp gives 0 as in SQL), else as they are."""
    value, present = carried
    if parent.aggregate != "gmean":
        return value
    with np.errstate(divide="ignore"):
        return np.where(value > 0, np.log(np.where(value > 0, value, 1.0)), -1e300) * present


def evaluate(nodes: Sequence[Node], scores: Mapping[str, np.ndarray], weights: Mapping[str, np.ndarray], root: str):
    """The root's value (replications × units) from indicator scores (units,) and weights (reps,).

    Each node is carried as (value with 0 where missing, presence), so a parent is a
    weighted sum of values over a weighted sum of presences: for indicators two matrix
    products, for varying children one contraction each — no NaN passes."""
    carried: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for code, s in scores.items():
        present = ~np.isnan(s)
        carried[code] = (np.where(present, s, 0.0), present)
    for level in sorted({n.level for n in nodes if n.level > 1}):
        for p in (n for n in nodes if n.level == level):
            children = [c for c in nodes if c.parent == p.code]
            w = np.stack([weights[c.code] for c in children], axis=1)  # reps × k
            if all(carried[c.code][0].ndim == 1 for c in children):
                vals = np.stack([_log(carried[c.code], p) for c in children])  # k × units
                num, den = w @ vals, w @ np.stack([carried[c.code][1] for c in children]).astype(np.float64)
            else:  # children vary by replication: accumulate in place
                num = np.zeros((len(w), carried[children[0].code][1].shape[-1]))
                den = np.zeros_like(num)
                for j, c in enumerate(children):
                    num += w[:, j, None] * _log(carried[c.code], p)
                    den += w[:, j, None] * carried[c.code][1]
            need = p.min_share * w.sum(axis=1)[:, None]
            need -= SHARE_TOLERANCE * np.maximum(w.sum(axis=1)[:, None], 1.0)
            ok = den >= need if p.min_share > 0 else den > 0  # need > 0 implies den > 0
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                np.divide(num, den, out=num)
                if p.aggregate == "gmean":
                    np.exp(num, out=num)
            np.putmask(num, ~ok, 0.0)
            carried[p.code] = (num, ok)
    value, present = carried[root]
    np.putmask(value, ~present, np.nan)
    return value


def min_ranks_desc(values: np.ndarray) -> np.ndarray:
    """Ranks within each row (a replication), highest first, ties sharing the lowest rank
    (1, 2, 2, 4); NaN unranked. Vectorised: sort each row, find runs of equal values, scatter back."""
    neg = np.round(values, RANK_DECIMALS)
    np.negative(neg, out=neg)
    order = np.argsort(neg, axis=1)  # NaN last; ties may come in any order
    s = np.take_along_axis(neg, order, axis=1)
    new_run = np.empty(s.shape, dtype=bool)
    new_run[:, 0] = True
    np.not_equal(s[:, 1:], s[:, :-1], out=new_run[:, 1:])
    first = np.where(new_run, np.arange(1, values.shape[1] + 1, dtype=np.float64)[None, :], 0.0)
    np.maximum.accumulate(first, axis=1, out=first)
    first[np.isnan(s)] = np.nan
    out = np.empty_like(first)
    np.put_along_axis(out, order, first, axis=1)
    return out


def discrete_quantiles(values: np.ndarray, qs: Sequence[float]) -> list[np.ndarray]:
    """Per row, for each q, the smallest value whose share of the row's (non-NaN) values
    reaches q. One sort serves every q."""
    ordered = np.sort(values, axis=1)  # NaN last
    n = (~np.isnan(values)).sum(axis=1)
    rows = np.arange(len(values))
    return [ordered[rows, np.clip(np.ceil(q * n).astype(int) - 1, 0, None)] for q in qs]


def rank_intervals(
    nodes: Sequence[Node], scores: Mapping[str, np.ndarray], groups: np.ndarray, root: str, config: RankIntervals
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For units sorted by group: (ranked mask, q05 rank, q95 rank) of `root` over the draws."""
    weights = draws(nodes, config)
    q_lo, q_hi = (float(q) for q in config.quantiles)
    n = len(groups)
    ranked, lo, hi = np.zeros(n, bool), np.zeros(n, np.int64), np.zeros(n, np.int64)
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    for a, b in itertools.pairwise(bounds):
        value = evaluate(nodes, {k: v[a:b] for k, v in scores.items()}, weights, root)
        ranks = np.ascontiguousarray(min_ranks_desc(value).T)  # units × reps
        ok = ~np.isnan(ranks).all(axis=1)
        ranked[a:b] = ok
        lo[a:b][ok], hi[a:b][ok] = discrete_quantiles(ranks[ok], (q_lo, q_hi))
    return ranked, lo, hi


def fetch(
    con: duckdb.DuckDBPyConnection, source: str, nodes: Sequence[Node], group: Sequence[str]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The indicator scores of `source` as arrays, rows numbered into _interval_input (i) and
    sorted by group (g)."""
    codes = [n.code for n in nodes if n.level == 1]
    grp = ", ".join(ident(g) for g in group)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _interval_input AS
        SELECT row_number() OVER (ORDER BY {grp}) - 1 AS i, dense_rank() OVER (ORDER BY {grp}) AS g, *
        FROM {source}""")
    data = con.execute(
        f"SELECT g, {', '.join(f'CAST({ident(c)} AS DOUBLE) AS {ident(c)}' for c in codes)} "
        "FROM _interval_input ORDER BY i"
    ).fetchnumpy()
    scores = {c: np.asarray(np.ma.filled(data[c], np.nan), dtype=float) for c in codes}
    return scores, np.asarray(data["g"])


def store(
    con: duckdb.DuckDBPyConnection,
    keys: Sequence[str],
    result: tuple[np.ndarray, np.ndarray, np.ndarray],
    into: str = "int_rank_intervals",
) -> str:
    """Write (keys, rank_q05, rank_q95) of the ranked rows of _interval_input into `into`."""
    ranked, lo, hi = result
    rows = np.flatnonzero(ranked)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {into} AS
        SELECT {", ".join(f"x.{ident(k)}" for k in keys)}, r.rank_q05, r.rank_q95
        FROM (SELECT unnest($1::BIGINT[]) AS i, unnest($2::INTEGER[]) AS rank_q05, unnest($3::INTEGER[]) AS rank_q95) r
        JOIN _interval_input x USING (i)""",
        [rows.tolist(), lo[rows].tolist(), hi[rows].tolist()],
    )
    return into


def compute_into(
    con: duckdb.DuckDBPyConnection,
    source: str,
    nodes: Sequence[Node],
    keys: Sequence[str],
    group: Sequence[str],
    root: str,
    config: RankIntervals,
    into: str = "int_rank_intervals",
) -> str:
    """Rank intervals of `root` for the scored units of `source` (keys, one score column per
    indicator) within `group`, into the temp table `into` (keys, rank_q05, rank_q95).
    config: the methodology's rank_intervals (seed, replications, factors, quantiles)."""
    scores, groups = fetch(con, source, nodes, group)
    return store(con, keys, rank_intervals(nodes, scores, groups, root, config), into)

"""Rank intervals: how much a unit's rank depends on the weights.

The ranking is redone for every seeded draw of weights — every weight of the tree (indicator
weights within their index, index weights within the composite) × an independent U[min, max]
factor — with the indicator scores fixed; each unit gets the 5th and 95th percentile of its
ranks. Member component weights define V5/V6's raw values and stay fixed.

Per period and level this is matrix work (units × draws), so the tree is evaluated in NumPy
with the same rules as the SQL engine (skip missing children, renormalise, minimum share).
Percentiles are discrete: the smallest rank whose share of draws reaches the quantile.

Minimum weight (methodology v1.2's absolute rule, `min_weight`): the configured sum is in the
configured weights' units, so a draw that scales the weights scales it alike — an aggregate is
present where its drawn weights present reach min_weight × (drawn total / configured total)
of its children. With all factors 1 this is the published rule; where the configured weights
sum to 1 it is the share rule v1.1 draws with. Indicators missing for every unit draw no
factor (in_play).

Years (methodology v1.1): each draw's weights apply to every quarter of the year, the
composite's children are averaged over the quarters (min_quarters rule), and the composite
is taken from these means with the draw's weights. Ranks are of the adjusted composite
(clip(C + points, 0, 100) where points were entered), as the published rank is.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

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


def in_play(nodes: Sequence[Node], scores: Mapping[str, np.ndarray]) -> list[Node]:
    """The tree the draws perturb: without the indicators missing for every unit of the run
    under an aggregate with an absolute minimum (methodology v1.2), which keep another child.
    Such a weight changes no value, so it draws no factor: with F6 missing everywhere the draws
    are v1.1's exactly (the same factors for the same weights, the threshold rescaled by the
    same total). Aggregates with a share minimum keep every child (v1.1's draws, unchanged)."""
    by_code = {n.code: n for n in nodes}

    def idle(n: Node) -> bool:
        s = scores.get(n.code)
        return n.level == 1 and s is not None and bool(np.isnan(s).all())

    dropped = set()
    for n in nodes:
        parent = by_code.get(n.parent) if n.parent else None
        if parent is None or parent.min_weight is None or not idle(n):
            continue
        if any(c.parent == parent.code and c.code != n.code and c.code not in dropped and not idle(c) for c in nodes):
            dropped.add(n.code)
    return [n for n in nodes if n.code not in dropped]


def _log(carried: tuple[np.ndarray, np.ndarray], parent: Node) -> np.ndarray:
    """A child's values as its parent aggregates them: logs for a geometric mean (log 0 → a
    huge negative, so that exp gives 0 as in SQL), else as they are."""
    value, present = carried
    if parent.aggregate != "gmean":
        return value
    with np.errstate(divide="ignore"):
        return np.where(value > 0, np.log(np.where(value > 0, value, 1.0)), -1e300) * present


def _carry(scores: Mapping[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Indicator scores as carried values: (value with 0 where missing, presence)."""
    carried = {}
    for code, s in scores.items():
        present = ~np.isnan(s)
        carried[code] = (np.where(present, s, 0.0), present)
    return carried


def _propagate(
    nodes: Sequence[Node],
    carried: dict[str, tuple[np.ndarray, np.ndarray]],
    weights: Mapping[str, np.ndarray],
    skip: Callable[[Node], bool] = lambda n: False,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every aggregate not yet in `carried` (and not skipped), level by level, added to it.

    Each node is carried as (value with 0 where missing, presence), so a parent is a
    weighted sum of values over a weighted sum of presences: for indicators two matrix
    products, for varying children one contraction each — no NaN passes."""
    for level in sorted({n.level for n in nodes if n.level > 1}):
        for p in (n for n in nodes if n.level == level and n.code not in carried and not skip(n)):
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
            if p.min_weight is None:
                need = p.min_share * w.sum(axis=1)[:, None]
            else:  # absolute (v1.2): the configured sum, rescaled as the draw rescales the children's weights
                configured = sum(c.weight for c in children)
                need = (p.min_weight / configured if configured > 0 else 0.0) * w.sum(axis=1)[:, None]
            need -= SHARE_TOLERANCE * np.maximum(w.sum(axis=1)[:, None], 1.0)
            ok = den >= need if (p.min_share if p.min_weight is None else p.min_weight) > 0 else den > 0
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                np.divide(num, den, out=num)
                if p.aggregate == "gmean":
                    np.exp(num, out=num)
            np.putmask(num, ~ok, 0.0)
            carried[p.code] = (num, ok)
    return carried


def _root_value(carried: Mapping[str, tuple[np.ndarray, np.ndarray]], root: str) -> np.ndarray:
    value, present = carried[root]
    np.putmask(value, ~present, np.nan)
    return value


def evaluate(nodes: Sequence[Node], scores: Mapping[str, np.ndarray], weights: Mapping[str, np.ndarray], root: str):
    """The root's value (replications × units) from indicator scores (units,) and weights (reps,)."""
    return _root_value(_propagate(nodes, _carry(scores), weights), root)


def _annual(total: np.ndarray, count: np.ndarray, min_quarters: int) -> tuple[np.ndarray, np.ndarray]:
    """A child's annual value carried as (mean over the quarters present, 0 where missing;
    presence): missing where present in fewer than `min_quarters` quarters."""
    enough = count >= min_quarters
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(enough, total / np.maximum(count, 1), 0.0), enough


def evaluate_year(
    nodes: Sequence[Node],
    quarters: Sequence[Mapping[str, np.ndarray]],
    weights: Mapping[str, np.ndarray],
    root: str,
    min_quarters: int,
) -> np.ndarray:
    """The root's value for a year (replications × units), methodology v1.1: per draw, the
    root's children per quarter (`quarters`: the indicator scores (units,) of each quarter,
    NaN where missing), each child's mean over the quarters where it is present (missing if
    present in fewer than `min_quarters`), then the root from these means with the same weights."""
    children = [c.code for c in nodes if c.parent == root]
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    for scores in quarters:
        carried = _propagate(nodes, _carry(scores), weights, skip=lambda n: n.code == root)
        for c in children:
            value, present = carried[c]
            sums[c] = sums.get(c, 0.0) + value
            counts[c] = counts.get(c, 0) + present
    annual = {c: _annual(sums[c], np.asarray(counts[c]), min_quarters) for c in children}
    return _root_value(_propagate(nodes, annual, weights, skip=lambda n: n.code != root), root)


def adjust(value: np.ndarray, points: np.ndarray | None, entered: np.ndarray | None) -> np.ndarray:
    """The adjusted composite of each draw (methodology v1.1): clip(C + points, 0, 100) for
    the units with points entered (`entered`), C elsewhere; NaN stays NaN."""
    if points is None or entered is None or not entered.any():
        return value
    value[:, entered] = np.clip(value[:, entered] + points[entered], 0.0, 100.0)
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


def _intervals(
    groups: np.ndarray, config: RankIntervals, value_of: Callable[[int, int], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group of consecutive rows a:b, the ranks of value_of(a, b) (reps × units) and their quantiles."""
    q_lo, q_hi = (float(q) for q in config.quantiles)
    n = len(groups)
    ranked, lo, hi = np.zeros(n, bool), np.zeros(n, np.int64), np.zeros(n, np.int64)
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    for a, b in itertools.pairwise(bounds):
        ranks = np.ascontiguousarray(min_ranks_desc(value_of(a, b)).T)  # units × reps
        ok = ~np.isnan(ranks).all(axis=1)
        ranked[a:b] = ok
        lo[a:b][ok], hi[a:b][ok] = discrete_quantiles(ranks[ok], (q_lo, q_hi))
    return ranked, lo, hi


def _part(a: np.ndarray | None, lo: int, hi: int) -> np.ndarray | None:
    return None if a is None else a[..., lo:hi]


def rank_intervals(
    nodes: Sequence[Node],
    scores: Mapping[str, np.ndarray],
    groups: np.ndarray,
    root: str,
    config: RankIntervals,
    points: np.ndarray | None = None,
    entered: np.ndarray | None = None,
    keep: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For units sorted by group: (ranked mask, q05 rank, q95 rank) of `root` over the draws
    (adjusted by `points` where `entered`, as the published composite). `keep`, if given,
    receives the root's children of every row and draw (value, presence: reps × rows), from
    which the years' draws are averaged (year_rank_intervals_from) instead of evaluated again."""
    weights = draws(nodes, config)
    children = [c.code for c in nodes if c.parent == root]
    if keep is not None:
        shape = (int(config.replications), len(groups))
        keep.update({c: (np.zeros(shape), np.zeros(shape, bool)) for c in children})

    def value_of(a: int, b: int) -> np.ndarray:
        carried = _propagate(nodes, _carry({k: v[a:b] for k, v in scores.items()}), weights)
        if keep is not None:
            for c in children:
                keep[c][0][:, a:b], keep[c][1][:, a:b] = carried[c]
        value = _root_value(carried, root)
        return adjust(value, _part(points, a, b), _part(entered, a, b))

    return _intervals(groups, config, value_of)


def year_rank_intervals_from(
    nodes: Sequence[Node],
    kept: Mapping[str, tuple[np.ndarray, np.ndarray]],
    rows: np.ndarray,
    groups: np.ndarray,
    root: str,
    config: RankIntervals,
    min_quarters: int,
    points: np.ndarray | None = None,
    entered: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """year_rank_intervals from the quarters' own draws: `kept` holds the root's children of
    every quarterly row and draw (rank_intervals(keep=…), reps × rows), `rows` (4 × year units) the
    quarterly row of each quarter of a year unit (−1: none). Per draw, each child's mean over
    the quarters where it is present (missing below `min_quarters`), then the root with the
    draw's weights: the same numbers as evaluate_year, without evaluating the quarters again."""
    weights = draws(nodes, config)
    # A row's draws side by side (rows × reps): the gathers below copy whole rows.
    by_row = {c: (np.ascontiguousarray(v.T), np.ascontiguousarray(p.T)) for c, (v, p) in kept.items()}

    def value_of(a: int, b: int) -> np.ndarray:
        annual = {}
        for c, (value, present) in by_row.items():
            total, count = np.zeros((b - a, value.shape[1])), np.zeros((b - a, value.shape[1]))
            for quarter in rows[:, a:b]:  # in quarter order, as the SQL sums them
                has = quarter >= 0
                total[has] += value[quarter[has]]  # 0 where missing; whole rows: contiguous gathers
                count[has] += present[quarter[has]]
            mean, enough = _annual(total, count, min_quarters)
            annual[c] = (np.ascontiguousarray(mean.T), np.ascontiguousarray(enough.T))  # reps × units
        value = _root_value(_propagate(nodes, annual, weights, skip=lambda n: n.code != root), root)
        return adjust(value, _part(points, a, b), _part(entered, a, b))

    return _intervals(groups, config, value_of)


def year_rank_intervals(
    nodes: Sequence[Node],
    scores: Mapping[str, np.ndarray],
    groups: np.ndarray,
    root: str,
    config: RankIntervals,
    min_quarters: int,
    points: np.ndarray | None = None,
    entered: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """rank_intervals for years: `scores` per indicator (quarters × units, NaN where missing or
    the quarter is not in the data); each draw's weights apply to every quarter of the year
    (the same draws as the quarters'), then evaluate_year averages."""
    weights = draws(nodes, config)

    def value_of(a: int, b: int) -> np.ndarray:
        quarters = [{k: v[q, a:b] for k, v in scores.items()} for q in range(next(iter(scores.values())).shape[0])]
        # A quarter without any score in this group (not in the data) adds nothing: skipped.
        quarters = [q for q in quarters if any((~np.isnan(v)).any() for v in q.values())]
        if not quarters:
            return np.full((len(next(iter(weights.values()))), b - a), np.nan)
        value = evaluate_year(nodes, quarters, weights, root, min_quarters)
        return adjust(value, _part(points, a, b), _part(entered, a, b))

    return _intervals(groups, config, value_of)


def fetch(
    con: duckdb.DuckDBPyConnection,
    source: str,
    nodes: Sequence[Node],
    group: Sequence[str],
    order: Sequence[str] = (),
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The indicator scores of `source` as arrays, rows numbered into _interval_input (i) and
    sorted by group (g), then by `order` (the unit's key: a numbering that a recomputation,
    as Spark may make of a cached view, gives again)."""
    codes = [n.code for n in nodes if n.level == 1]
    grp = ", ".join(ident(g) for g in group)
    rows = ", ".join(ident(g) for g in (*group, *[k for k in order if k not in group]))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _interval_input AS
        SELECT row_number() OVER (ORDER BY {rows}) - 1 AS i, dense_rank() OVER (ORDER BY {grp}) AS g, *
        FROM {source}""")
    data = con.execute(
        f"SELECT g, {', '.join(f'CAST({ident(c)} AS DOUBLE) AS {ident(c)}' for c in codes)} "
        "FROM _interval_input ORDER BY i"
    ).fetchnumpy()
    scores = {c: np.asarray(np.ma.filled(data[c], np.nan), dtype=float) for c in codes}
    return scores, np.asarray(data["g"])


def fetch_years(
    con: duckdb.DuckDBPyConnection, source: str, nodes: Sequence[Node]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The indicator scores of the quarterly `source` (period '2025Q3', level, unit_id, one
    column per indicator) as arrays per year: quarters × units, NaN where missing or the quarter
    is not in the data; units numbered into _interval_year_input (i; period '2025', level,
    unit_id) and sorted by group (g: year and level)."""
    codes = [n.code for n in nodes if n.level == 1]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _interval_year_input AS
        SELECT row_number() OVER (ORDER BY period, level, unit_id) - 1 AS i,
            dense_rank() OVER (ORDER BY period, level) AS g, period, level, unit_id
        FROM (SELECT DISTINCT left(period, 4) AS period, level, unit_id FROM {source})""")
    data = con.execute(
        f"SELECT x.i, CAST(right(s.period, 1) AS INTEGER) - 1 AS q, "
        f"{', '.join(f'CAST(s.{ident(c)} AS DOUBLE) AS {ident(c)}' for c in codes)} "
        f"FROM {source} s JOIN _interval_year_input x "
        "ON x.period = left(s.period, 4) AND x.level = s.level AND x.unit_id = s.unit_id"
    ).fetchnumpy()
    groups = np.asarray(con.execute("SELECT g FROM _interval_year_input ORDER BY i").fetchnumpy()["g"])
    i, q = np.asarray(data["i"], dtype=np.int64), np.asarray(data["q"], dtype=np.int64)
    scores = {}
    for c in codes:
        a = np.full((4, len(groups)), np.nan)
        a[q, i] = np.asarray(np.ma.filled(data[c], np.nan), dtype=float)
        scores[c] = a
    return scores, groups


def year_rows(con: duckdb.DuckDBPyConnection, source: str = "_interval_input") -> tuple[np.ndarray, np.ndarray]:
    """The year units of the quarterly rows of `source` (fetch's _interval_input), numbered into
    _interval_year_input (i; period '2025', level, unit_id) and sorted by group (g: year and
    level), as fetch_years numbers them: (rows: 4 × year units, each quarter's row i in
    `source` or −1; groups)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _interval_year_input AS
        SELECT row_number() OVER (ORDER BY period, level, unit_id) - 1 AS i,
            dense_rank() OVER (ORDER BY period, level) AS g, period, level, unit_id
        FROM (SELECT DISTINCT left(period, 4) AS period, level, unit_id FROM {source})""")
    data = con.execute(f"""SELECT x.i AS y, CAST(right(s.period, 1) AS INTEGER) - 1 AS q, s.i AS row
        FROM {source} s JOIN _interval_year_input x
            ON x.period = left(s.period, 4) AND x.level = s.level AND x.unit_id = s.unit_id""").fetchnumpy()
    groups = np.asarray(con.execute("SELECT g FROM _interval_year_input ORDER BY i").fetchnumpy()["g"])
    rows = np.full((4, len(groups)), -1, dtype=np.int64)
    rows[np.asarray(data["q"], dtype=np.int64), np.asarray(data["y"], dtype=np.int64)] = data["row"]
    return rows, groups


def store(
    con: duckdb.DuckDBPyConnection,
    keys: Sequence[str],
    result: tuple[np.ndarray, np.ndarray, np.ndarray],
    into: str = "int_rank_intervals",
    source: str = "_interval_input",
) -> str:
    """Write (keys, rank_q05, rank_q95) of the ranked rows of `source` (_interval_input or
    _interval_year_input) into `into`."""
    ranked, lo, hi = result
    rows = np.flatnonzero(ranked)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {into} AS
        SELECT {", ".join(f"x.{ident(k)}" for k in keys)}, r.rank_q05, r.rank_q95
        FROM (SELECT unnest($1::BIGINT[]) AS i, unnest($2::INTEGER[]) AS rank_q05, unnest($3::INTEGER[]) AS rank_q95) r
        JOIN {source} x USING (i)""",
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
    return store(con, keys, rank_intervals(in_play(nodes, scores), scores, groups, root, config), into)

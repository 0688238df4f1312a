"""What-if: a published ranking recomputed with edited weights, by the engine itself.

The unit tree of the run's methodology (`Methodology.tree()`) gets the edited weights and is
evaluated by `composite.score_wide` over the units' raw indicator values as published
(`indicator_scores`), on a private in-memory DuckDB: nothing is written anywhere. With the
run's own weights this is the published computation, so it reproduces the published
composite (to float identity) and ranks; ranks use the engine's tie rule (`intervals.min_ranks_desc`:
scores rounded to 9 decimals, ties share the lowest rank), as the marts do.

Years (methodology v1.1) are recomputed the same way: each of the year's quarters with the
edited weights, then the year's indices as the means of the quarterly ones (min_quarters)
and the composite from them, by the engine's own SQL (int_year_engine.sql). The adjusted
composite C' applies the run's adjustment points (unit_scores.adjustment) to the recomputed
composite; with the run's weights, quarters and years reproduce the published C' and ranks.

Weights are relative, as everywhere in the engine: an aggregate divides each child's weight
by the sum of the weights of the children present for the unit (an index also needs its
minimum weight share present), so only the ratios between siblings matter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from pipelines.engine.composite import Node, score_wide
from pipelines.engine.compute import SQL, year_parameters
from pipelines.engine.intervals import min_ranks_desc
from pipelines.engine.methodology import Methodology

ROOT = "composite"


def default_weights(m: Methodology) -> dict[str, float]:
    """Every weight of the unit tree by node code, in tree order: indicator weights within their
    index, then the index weights within the composite (1 each: the composite is their mean)."""
    return {n.code: n.weight for n in m.tree() if n.parent is not None}


def siblings(m: Methodology) -> dict[str, list[str]]:
    """The weighted children of each aggregate (index → indicators, composite → indices)."""
    out: dict[str, list[str]] = {}
    for n in m.tree():
        if n.parent is not None:
            out.setdefault(n.parent, []).append(n.code)
    return out


def shares(m: Methodology, weights: Mapping[str, float]) -> dict[str, float | None]:
    """Each weight as a share of its siblings' (what it counts for when all are present);
    None where every sibling weighs 0."""
    out: dict[str, float | None] = {}
    for children in siblings(m).values():
        total = sum(weights[c] for c in children)
        out.update({c: weights[c] / total if total > 0 else None for c in children})
    return out


def weightless(m: Methodology, weights: Mapping[str, float]) -> list[str]:
    """Aggregates whose children all weigh 0: they cannot be scored (and nor can the
    composite, which is missing if any index is)."""
    return [p for p, children in siblings(m).items() if not any(weights[c] > 0 for c in children)]


def tree(m: Methodology, weights: Mapping[str, float]) -> list[Node]:
    """The run's unit tree with edited weights (codes not given keep the run's weight)."""
    unknown = set(weights) - set(default_weights(m))
    if unknown:
        raise ValueError(f"no such weight in the methodology: {', '.join(sorted(unknown))}")
    for code, w in weights.items():
        if not (w >= 0 and np.isfinite(w)):
            raise ValueError(f"{code}: weight must be a number ≥ 0, got {w!r}")
    return [replace(n, weight=float(weights[n.code])) if n.code in weights else n for n in m.tree()]


def recompute(
    m: Methodology,
    weights: Mapping[str, float],
    values: pd.DataFrame,
    adjustment: Mapping[str, float] | pd.Series | None = None,
    year: bool = False,
) -> pd.DataFrame:
    """Scores and composite rank of the units of one period and level.

    `values`: one row per unit, `unit_id` and a raw-value column per indicator (as in
    `indicator_scores`); for a year (`year=True`), one row per unit and quarter of the year,
    with its `period` ('2025Q3'). `adjustment`: the run's adjustment points per unit_id (B + D,
    as unit_scores.adjustment); where not 0 the composite is clip(C + points, 0, 100).
    Returns unit_id, the indices, composite (adjusted), composite_rank (Int64, missing where the
    composite is) and composite_raw, ordered by unit_id. Goalposts need no group; a minmax or
    z-score indicator is normalised over the rows given, which must be the whole level."""
    nodes = tree(m, weights)
    indices = [n.code for n in nodes if n.level == 2]
    keys = ("period", "unit_id") if year else ("unit_id",)
    columns = [*keys, *(n.code for n in nodes if n.level == 1)]
    con = duckdb.connect(":memory:")  # private and in memory: the published files are never touched
    try:
        con.register("whatif_values", values[columns])
        table = score_wide(con, "whatif_values", nodes, keys=keys, into="whatif_scores")
        if year:
            sql = (SQL / "int_year_engine.sql").read_text(encoding="utf-8")
            con.execute(sql.format(**year_parameters(m, nodes, engine=table, keys="unit_id")))
            table = "int_year_engine"
        out = con.execute(f"SELECT unit_id, {', '.join(indices)}, {ROOT} FROM {table} ORDER BY unit_id").df()
    finally:
        con.close()
    raw = out[ROOT].to_numpy(dtype=np.float64, na_value=np.nan)
    composite = raw.copy()
    if adjustment is not None:
        points = pd.Series(adjustment, dtype=float).reindex(out["unit_id"]).fillna(0.0).to_numpy()
        entered = points != 0
        composite[entered] = np.clip(raw[entered] + points[entered], 0.0, 100.0)  # NaN stays NaN
        out[ROOT] = composite
    ranks = min_ranks_desc(composite[None, :])[0]
    out["composite_rank"] = pd.array([None if np.isnan(r) else int(r) for r in ranks], dtype="Int64")
    out["composite_raw"] = raw
    return out


def compare(published: pd.DataFrame, recomputed: pd.DataFrame) -> pd.DataFrame:
    """Published (unit_id, unit_name, composite, composite_rank) beside the what-if scores:
    whatif_composite, whatif_rank, and move = published rank − what-if rank (positive: rose,
    as rank_change). Biggest movers first, then by what-if rank."""
    new = recomputed[["unit_id", ROOT, "composite_rank"]].rename(
        columns={ROOT: "whatif_composite", "composite_rank": "whatif_rank"}
    )
    out = published[["unit_id", "unit_name", ROOT, "composite_rank"]].merge(new, on="unit_id", how="left")
    out["composite_rank"] = out["composite_rank"].astype("Int64")
    out["whatif_rank"] = out["whatif_rank"].astype("Int64")
    out["move"] = out["composite_rank"] - out["whatif_rank"]
    out["_size"] = out["move"].abs()
    out = out.sort_values(
        ["_size", "whatif_rank", "composite_rank", "unit_id"], ascending=[False, True, True, True], na_position="last"
    )
    return out.drop(columns="_size").reset_index(drop=True)


def summary(compared: pd.DataFrame) -> dict[str, float | int | None]:
    """ranked (in both rankings), moved (units whose rank changed), rose / fell (the largest
    move up and down, 0 if none), rho (Spearman rank correlation with the published ranking,
    None when undefined), lost (units ranked as published but not in the what-if)."""
    both = compared.dropna(subset=["composite_rank", "whatif_rank"])
    move = both["move"].astype(int)
    rho = None
    if len(both) > 1:
        a = both["composite_rank"].astype(float).rank().to_numpy()
        b = both["whatif_rank"].astype(float).rank().to_numpy()
        if a.std() > 0 and b.std() > 0:
            rho = float(np.corrcoef(a, b)[0, 1])
    return {
        "ranked": len(both),
        "moved": int((move != 0).sum()),
        "rose": int(max(move.max(), 0)) if len(move) else 0,
        "fell": int(max(-move.min(), 0)) if len(move) else 0,
        "rho": rho,
        "lost": int((compared["composite_rank"].notna() & compared["whatif_rank"].isna()).sum()),
    }

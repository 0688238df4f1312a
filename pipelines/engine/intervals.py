"""Rank intervals: how much a unit's composite rank depends on the weights.

The ranking is redone for every seeded draw of weights (each indicator weight × U[min, max])
with the indicator scores fixed; each unit gets the 5th and 95th percentile of its ranks.
Per period and level this is matrix work — scores (units × indicators) times weights
(indicators × draws) — so it runs vectorised in NumPy rather than as millions of SQL rows.
Percentiles are discrete (the smallest rank whose share of draws reaches the quantile).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.engine.methodology import Methodology


def draws(m: Methodology) -> np.ndarray:
    """(replications × indicators) weights, in the order of m.indicators()."""
    ri = m.config["rank_intervals"]
    base = np.array([float(i["weight"]) for i in m.indicators()])
    rng = np.random.default_rng(int(ri["seed"]))
    factors = rng.uniform(
        float(ri["weight_factor_min"]), float(ri["weight_factor_max"]), (int(ri["replications"]), len(base))
    )
    return factors * base


def _ranks_desc(values: np.ndarray) -> np.ndarray:
    """Ranks within each column, highest first, ties sharing the lowest rank (1 + the number
    of higher values); NaN unranked."""
    out = np.full(values.shape, np.nan)
    for j in range(values.shape[1]):
        ok = ~np.isnan(values[:, j])
        v = values[ok, j]
        out[ok, j] = 1 + len(v) - np.searchsorted(np.sort(v), v, side="right")
    return out


def _discrete_quantile(values: np.ndarray, q: float) -> np.ndarray:
    """Per row, the smallest value whose share of the row's (non-NaN) values reaches q."""
    ordered = np.sort(values, axis=1)  # NaN last
    n = (~np.isnan(values)).sum(axis=1)
    k = np.clip(np.ceil(q * n).astype(int) - 1, 0, None)
    return ordered[np.arange(len(values)), k]


def rank_intervals(scores: pd.DataFrame, m: Methodology) -> pd.DataFrame:
    """scores: period, level, unit_id, code, score (indicator scores on the index scale).
    Returns period, level, unit_id, rank_q05, rank_q95 for units with a composite."""
    codes = [i["code"] for i in m.indicators()]
    index_of = np.array([i["index"] for i in m.indicators()])
    composite = m.config["composite"]["indices"]
    min_share = float(m.config["scoring"]["min_weight_share"])
    q_lo, q_hi = (float(q) for q in m.config["rank_intervals"]["quantiles"])
    w = draws(m)  # reps × k
    out = []
    wide = scores.set_index(["period", "level", "unit_id", "code"])["score"].unstack("code").reindex(columns=codes)
    for (period, level), group in wide.groupby(level=["period", "level"], sort=False):
        s = group.to_numpy(dtype=float)  # units × k
        present = ~np.isnan(s)
        filled = np.where(present, s, 0.0)
        per_index = []
        for idx in composite:
            cols = index_of == idx
            num = filled[:, cols] @ w[:, cols].T  # units × reps
            den = present[:, cols] @ w[:, cols].T
            share = den / w[:, cols].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_index.append(np.where(share >= min_share - 1e-12, num / den, np.nan))
        comp = np.mean(per_index, axis=0)  # NaN if any index is missing
        ranks = _ranks_desc(comp)
        ranked = ~np.isnan(comp).all(axis=1)
        if not ranked.any():
            continue
        r = ranks[ranked]
        q05, q95 = _discrete_quantile(r, q_lo), _discrete_quantile(r, q_hi)
        units = group.index.get_level_values("unit_id")[ranked]
        out.append(
            pd.DataFrame(
                {
                    "period": period,
                    "level": level,
                    "unit_id": units,
                    "rank_q05": q05.astype(int),
                    "rank_q95": q95.astype(int),
                }
            )
        )
    cols = ["period", "level", "unit_id", "rank_q05", "rank_q95"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)

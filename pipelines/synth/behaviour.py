"""Latent grid strength and its trend: the structure the indices should find.

Each grid has a base strength (a community effect plus its own), and a trend: about a
quarter improve over the 8 quarters, a fifth decline, the rest hold steady. Strength in
quarter q drives meeting completion, attendance, member activity, and how often and how
fast demands are solved inside the grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

N_QUARTERS = 8
TRENDS = ["improving", "declining", "stable"]
TREND_SHARES = [0.25, 0.20, 0.55]


def assign_strength(rng: np.random.Generator, grids: pd.DataFrame) -> pd.DataFrame:
    effects = {k: rng.normal(0, 0.6) for k in grids["community_key"].unique()}
    community_effect = grids["community_key"].map(effects).to_numpy()
    base = community_effect + rng.normal(0, 0.8, len(grids))
    trend = rng.choice(TRENDS, size=len(grids), p=TREND_SHARES)
    magnitude = rng.uniform(0.12, 0.3, len(grids))
    slope = np.where(
        trend == "improving", magnitude, np.where(trend == "declining", -magnitude, rng.normal(0, 0.02, len(grids)))
    )
    out = grids.copy()
    out["strength"] = base
    out["trend"] = trend
    out["slope"] = slope
    return out


def strength_by_quarter(rng: np.random.Generator, grids: pd.DataFrame) -> np.ndarray:
    """(n_grids, 8) latent strength per quarter, centred so base is the 8-quarter mean."""
    q = np.arange(N_QUARTERS) - (N_QUARTERS - 1) / 2
    noise = rng.normal(0, 0.12, (len(grids), N_QUARTERS))
    return grids["strength"].to_numpy()[:, None] + grids["slope"].to_numpy()[:, None] * q + noise


def sigmoid(x):
    return 1 / (1 + np.exp(-x))

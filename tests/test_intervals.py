"""Rank intervals against a plain loop over the weight draws, and the no-perturbation case."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.engine.intervals import draws, rank_intervals
from pipelines.engine.methodology import DEFAULT, load

CODES = ["F1", "F2", "F3", "F4", "F5", "V5", "V6", "S1", "S2", "S3", "S4"]


def _scores(seed: int, units: int, missing: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(units):
        for c in CODES:
            if rng.random() >= missing:
                rows.append(
                    ("2025Q1", "grid", f"g{u}", c, float(rng.choice([0, 25, 50, 75, 100, rng.uniform(0, 100)])))
                )
    return pd.DataFrame(rows, columns=["period", "level", "unit_id", "code", "score"])


def _brute_force(scores: pd.DataFrame, m) -> dict[str, tuple[int, int]]:
    w = draws(m)
    ind = m.indicators()
    by_unit = {u: dict(zip(g["code"], g["score"], strict=True)) for u, g in scores.groupby("unit_id")}
    ranks: dict[str, list[int]] = {u: [] for u in by_unit}
    for rep in range(len(w)):
        comp = {}
        for u, s in by_unit.items():
            idx_scores = []
            for idx in m.config["composite"]["indices"]:
                members = [(j, i["code"]) for j, i in enumerate(ind) if i["index"] == idx]
                total = sum(w[rep, j] for j, _ in members)
                got = [(w[rep, j], s[c]) for j, c in members if c in s]
                if not got or sum(x for x, _ in got) / total < 0.5 - 1e-12:
                    idx_scores = None
                    break
                idx_scores.append(sum(x * v for x, v in got) / sum(x for x, _ in got))
            if idx_scores is not None:
                comp[u] = sum(idx_scores) / len(idx_scores)
        for u, c in comp.items():
            ranks[u].append(1 + sum(1 for other in comp.values() if other > c))
    out = {}
    for u, r in ranks.items():
        if r:
            r = sorted(r)
            out[u] = tuple(r[max(math.ceil(q * len(r)) - 1, 0)] for q in (0.05, 0.95))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_a_plain_loop(seed):
    m = load()
    scores = _scores(seed, 12)
    got = rank_intervals(scores, m).set_index("unit_id")
    expected = _brute_force(scores, m)
    assert set(got.index) == set(expected)
    for u, (lo, hi) in expected.items():
        assert (got.loc[u, "rank_q05"], got.loc[u, "rank_q95"]) == (lo, hi), u
    assert (got["rank_q95"] > got["rank_q05"]).any()  # the draws move some ranks


def test_without_perturbation_the_interval_is_the_rank(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(
        DEFAULT.read_text(encoding="utf-8")
        .replace("weight_factor_min = 0.75", "weight_factor_min = 1.0")
        .replace("weight_factor_max = 1.25", "weight_factor_max = 1.0"),
        encoding="utf-8",
    )
    m = load(path)
    scores = _scores(3, 10, missing=0.0)
    got = rank_intervals(scores, m)
    assert (got["rank_q05"] == got["rank_q95"]).all()
    assert sorted(got["rank_q05"]) == sorted(_brute_force(scores, m)[u][0] for u in got["unit_id"])

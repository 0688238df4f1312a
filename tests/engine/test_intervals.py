"""Rank intervals against a plain loop over the weight draws, the tie-aware ranks, and the
no-perturbation case; through the same DuckDB entry point the computation uses. Under the
methodology v1.1 file (a share of the weights) and v1.2's (an absolute sum, rescaled by each
draw's total: intervals.in_play and the module's docstring)."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.engine.composite import Node
from pipelines.engine.intervals import compute_into, draws, in_play, min_ranks_desc
from pipelines.engine.methodology import DEFAULT, RankIntervals, load
from tests.engine.test_v11_unchanged import V11

CODES = ["F1", "F2", "F3", "F4", "F5", "F6", "V5", "V6", "S1", "S2", "S3", "S4"]


def _scores(seed: int, units: int, missing: float = 0.1) -> pd.DataFrame:
    """Indicator scores per unit (wide), with ties (0, 25, … 100) and missing values."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(units):
        row = {"period": "2025Q1", "level": "grid", "unit_id": f"g{u}"}
        for c in CODES:
            if rng.random() >= missing:
                row[c] = float(rng.choice([0, 25, 50, 75, 100, rng.uniform(0, 100)]))
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=["period", "level", "unit_id", *CODES])


def _intervals(scores: pd.DataFrame, m) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("s", scores)
    con.execute("CREATE TEMP TABLE wide AS SELECT * FROM s")
    keys, group = ("period", "level", "unit_id"), ("period", "level")
    compute_into(con, "wide", m.tree(), keys, group, "composite", m.rank_intervals)
    return con.execute("SELECT * FROM int_rank_intervals").df().set_index("unit_id")


def _brute_force(scores: pd.DataFrame, m) -> dict[str, tuple[int, int]]:
    """Every weight of the tree perturbed per draw: indicators within indices, indices within
    the composite; an index is missing below half its weight (v1.1), or where its drawn weights
    present fall below 0.5 × its drawn total / its configured total (v1.2), the composite if
    any index is. An indicator missing everywhere draws nothing under v1.2."""
    every = m.tree()
    codes = [n.code for n in every if n.level == 1]
    absolute = m.scoring.min_weight is not None
    nodes = [n for n in every if not (absolute and n.level == 1 and scores[n.code].isna().all())]
    w = draws(nodes, m.rank_intervals)
    by_unit = {r["unit_id"]: {c: r[c] for c in codes if not pd.isna(r[c])} for _, r in scores.iterrows()}
    indices = [n.code for n in nodes if n.level == 2]
    members = {i: [n.code for n in nodes if n.parent == i] for i in indices}
    ranks: dict[str, list[int]] = {u: [] for u in by_unit}
    for rep in range(len(w["F1"])):
        comp = {}
        for u, s in by_unit.items():
            idx = {}
            for i in indices:
                total = sum(w[c][rep] for c in members[i])
                configured = sum(n.weight for n in nodes if n.parent == i)
                need = 0.5 * total / configured if absolute else 0.5 * total
                got = [(w[c][rep], s[c]) for c in members[i] if c in s]
                if got and sum(x for x, _ in got) >= need - 1e-12:
                    idx[i] = sum(x * v for x, v in got) / sum(x for x, _ in got)
            if len(idx) == len(indices):
                comp[u] = sum(w[i][rep] * idx[i] for i in indices) / sum(w[i][rep] for i in indices)
        for u, c in comp.items():
            ranks[u].append(1 + sum(1 for other in comp.values() if round(other, 9) > round(c, 9)))
    out = {}
    for u, r in ranks.items():
        if r:
            r = sorted(r)
            out[u] = tuple(r[max(math.ceil(q * len(r)) - 1, 0)] for q in (0.05, 0.95))
    return out


@pytest.mark.parametrize("file", ["v1.2", "v1.1"])
@pytest.mark.parametrize("seed", [1, 2])
def test_matches_a_plain_loop(seed, file):
    m = load() if file == "v1.2" else load(V11)
    scores = _scores(seed, 12)
    got = _intervals(scores, m)
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
    got = _intervals(scores, m)
    assert (got["rank_q05"] == got["rank_q95"]).all()
    assert got["rank_q05"].to_dict() == {u: lo for u, (lo, _) in _brute_force(scores, m).items()}


def test_ranks_share_the_lowest_rank_and_skip_missing():
    values = np.array([[90.0, 80.0, 80.0, 70.0, np.nan], [1.0, 1.0 + 1e-13, 3.0, np.nan, 2.0]])
    got = min_ranks_desc(values)
    assert got[0, :4].tolist() == [1, 2, 2, 4] and np.isnan(got[0, 4])
    assert got[1].tolist()[:3] == [3, 3, 1] and np.isnan(got[1, 3]) and got[1, 4] == 2  # 1e-13 apart: a tie


def test_geometric_mean_trees_are_drawn_too():
    """The draws follow the tree, whatever it is: a gmean index over two indicators."""
    nodes = [
        Node("a", "I", 1, 1.0, normalise="goalposts", lo=0, hi=1),
        Node("b", "I", 1, 3.0, normalise="goalposts", lo=0, hi=1),
        Node("I", None, 2, aggregate="gmean"),
    ]
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE w AS SELECT * FROM (VALUES ('p', 'u1', 80.0, 20.0), ('p', 'u2', 20.0, 80.0),"
        " ('p', 'u3', 0.0, 100.0)) t(grp, unit, a, b)"
    )
    # With weights fixed, the SQL engine's geometric mean orders u2 > u1 > u3 (a zero child gives 0).
    config = RankIntervals(
        replications=50, weight_factor_min=1.0, weight_factor_max=1.0, seed=1, quantiles=(0.05, 0.95)
    )
    compute_into(con, "w", nodes, ("grp", "unit"), ("grp",), "I", config)
    got = dict(con.execute("SELECT unit, rank_q05 FROM int_rank_intervals").fetchall())
    assert got == {"u2": 1, "u1": 2, "u3": 3}


def test_without_f6_the_v1_2_draws_are_v1_1_s():
    """F6 missing for every unit: it draws no factor, and the absolute 0.5 rescaled by each
    draw's total is v1.1's share of it (the v1 fortress weights sum to 1): the same intervals,
    also for units close to the minimum (half the indicators missing)."""
    scores = _scores(4, 30, missing=0.45).assign(F6=np.nan)
    v12, v11 = load(), load(V11)
    assert [n.code for n in in_play(v12.tree(), {"F6": np.full(3, np.nan)})] == [n.code for n in v11.tree()]
    pd.testing.assert_frame_equal(_intervals(scores, v12), _intervals(scores, v11))
    with_f6 = scores.assign(F6=np.where(np.arange(30) % 2 == 0, 80.0, np.nan))
    assert not _intervals(with_f6, v12).equals(_intervals(with_f6, v11))  # F6 counts once present

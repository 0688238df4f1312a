"""Rank intervals of a year (methodology v1.1): each draw's weights apply to every quarter,
the indices are averaged over the quarters (min_quarters rule), then the composite is taken.
Property: a year whose quarters are identical has the quarter's intervals."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.engine import intervals
from pipelines.engine.methodology import load
from tests.engine.test_intervals import _scores

KEYS, GROUP = ("period", "level", "unit_id"), ("period", "level")


def _year(quarters: list[pd.DataFrame], min_quarters: int = 3, m=None) -> pd.DataFrame:
    """Through the reference path (fetch_years, year_rank_intervals: every quarter evaluated anew),
    which the computation's own (year_rank_intervals_from) is checked against below."""
    m = m or load()
    con = duckdb.connect()
    con.register("q", pd.concat(quarters, ignore_index=True))
    con.execute("CREATE TEMP TABLE engine AS SELECT * FROM q")
    nodes = m.tree()
    scores, groups = intervals.fetch_years(con, "engine", nodes)
    result = intervals.year_rank_intervals(nodes, scores, groups, "composite", m.rank_intervals, min_quarters)
    intervals.store(con, KEYS, result, "year_intervals", "_interval_year_input")
    return con.execute("SELECT * FROM year_intervals").df().set_index("unit_id").sort_index()


def _quarter(scores: pd.DataFrame, m=None) -> pd.DataFrame:
    m = m or load()
    con = duckdb.connect()
    con.register("s", scores)
    con.execute("CREATE TEMP TABLE wide AS SELECT * FROM s")
    intervals.compute_into(con, "wide", m.tree(), KEYS, GROUP, "composite", m.rank_intervals)
    return con.execute("SELECT * FROM int_rank_intervals").df().set_index("unit_id").sort_index()


def test_a_year_of_identical_quarters_has_the_quarter_s_intervals():
    quarter = _scores(seed=5, units=60)
    copies = [quarter.assign(period=f"2025Q{q}") for q in (1, 2, 3, 4)]
    year, single = _year(copies), _quarter(quarter)
    assert len(single) > 30 and (single["rank_q95"] > single["rank_q05"]).any()  # weights do move ranks
    assert (year["period"] == "2025").all()
    pd.testing.assert_frame_equal(year[["rank_q05", "rank_q95"]], single[["rank_q05", "rank_q95"]], check_dtype=False)
    # Three identical quarters and one without data (min_quarters 3): the same again.
    three = _year(copies[:3])
    pd.testing.assert_frame_equal(three[["rank_q05", "rank_q95"]], single[["rank_q05", "rank_q95"]], check_dtype=False)


def test_a_year_with_too_few_quarters_is_not_ranked():
    quarter = _scores(seed=6, units=20, missing=0.0)
    two = [quarter.assign(period=f"2025Q{q}") for q in (1, 2)]
    assert _year(two).empty  # present in 2 quarters < 3: no composite, no interval
    assert len(_year(two, min_quarters=2)) == 20


def test_year_draws_average_the_indices_not_the_composite():
    """Two units, two quarters, no perturbation (factors 1): the year's composite is the mean
    of the annual indices. a: fortress 100 then missing (a quarter's composite is missing, the
    year's fortress 100 from one quarter with min_quarters 1); b: all 60. a's year = (100 + 0
    + 0) / 3 = 33.3 < 60: b is 1st, a 2nd."""
    m = load()
    nodes = m.tree()
    weights = {n.code: np.ones(3) * n.weight for n in nodes if n.parent is not None}
    codes = [n.code for n in nodes if n.level == 1]
    fortress = {n.code for n in nodes if n.parent == "fortress"}
    q1 = {c: np.array([100.0 if c in fortress else 0.0, 60.0]) for c in codes}
    q2 = {c: np.array([np.nan if c in fortress else 0.0, 60.0]) for c in codes}
    value = intervals.evaluate_year(nodes, [q1, q2], weights, "composite", 1)
    assert np.allclose(value, [[100 / 3, 60.0]] * 3)
    assert np.isnan(intervals.evaluate_year(nodes, [q1, q2], weights, "composite", 2)[:, 0]).all()


def test_the_computation_s_year_draws_from_the_quarters_equal_the_year_evaluated_anew():
    """compute averages the quarters' own draws (rank_intervals(keep=…), year_rows,
    year_rank_intervals_from); the reference evaluates every quarter of the year again. Four
    different quarters with missing values, one unit adjusted: identical intervals."""
    m = load()
    nodes = m.tree()
    quarters = [_scores(seed=10 + q, units=40, missing=0.15).assign(period=f"2025Q{q}") for q in (1, 2, 3, 4)]
    con = duckdb.connect()
    con.register("q", pd.concat(quarters, ignore_index=True))
    con.execute("CREATE TEMP TABLE engine AS SELECT * FROM q")
    scores, groups = intervals.fetch(con, "engine", nodes, GROUP)
    kept: dict = {}
    intervals.rank_intervals(nodes, scores, groups, "composite", m.rank_intervals, keep=kept)
    rows, year_groups = intervals.year_rows(con)
    points, entered = np.zeros(rows.shape[1]), np.zeros(rows.shape[1], bool)
    points[3], entered[3] = 7.5, True
    fast = intervals.year_rank_intervals_from(
        nodes, kept, rows, year_groups, "composite", m.rank_intervals, 3, points, entered
    )
    year_scores, reference_groups = intervals.fetch_years(con, "engine", nodes)
    reference = intervals.year_rank_intervals(
        nodes, year_scores, reference_groups, "composite", m.rank_intervals, 3, points, entered
    )
    assert fast[0].sum() > 20 and (fast[2] > fast[1]).any()  # units ranked, and weights move ranks
    for a, b in zip(fast, reference, strict=True):
        np.testing.assert_array_equal(a, b)

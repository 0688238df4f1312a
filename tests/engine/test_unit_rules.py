"""Grades, the cap rule, ranks with ties, rank change, red/black lists and yellow cards, on
scores set by hand (methodology v1)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.engine.compute import set_adjustments, unit_marts
from pipelines.engine.methodology import load


def _run(rows: list[tuple]) -> pd.DataFrame:
    """rows: (period, unit_id, composite, satisfaction); the other scores follow the composite."""
    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=["period", "unit_id", "composite", "satisfaction"])
    frame = frame.assign(
        level="grid",
        unit_name=frame["unit_id"],
        peer_class=None,
        fortress=frame["composite"],
        vanguard=frame["composite"],
        service=frame["composite"],
    )
    con.register("f", frame)
    con.execute(
        "CREATE TEMP TABLE int_index_scores AS SELECT period, level, unit_id, unit_name, "
        "CAST(peer_class AS VARCHAR) AS peer_class, fortress, vanguard, service, composite, satisfaction FROM f"
    )
    m = load()
    set_adjustments(con, m, None)  # no entries: v1's numbers
    unit_marts(con, m)
    return con.execute("SELECT * FROM mart_unit_scores_new").df().set_index(["period", "unit_id"])


def test_ties_share_the_lowest_rank_and_missing_is_unranked():
    out = _run([("2025Q1", u, c, 4.8) for u, c in (("a", 90.0), ("b", 80.0), ("c", 80.0), ("d", 70.0), ("e", None))])
    ranks = out.loc["2025Q1", "composite_rank"]
    assert ranks.loc[["a", "b", "c", "d"]].tolist() == [1, 2, 2, 4]
    assert pd.isna(ranks.loc["e"]) and pd.isna(out.loc[("2025Q1", "e"), "grade"])
    assert out.loc["2025Q1", "ranked_units"].iloc[0] == 4


@pytest.mark.parametrize(
    "composite,satisfaction,grade",
    [
        (90.0, 4.8, "好"),
        (89.999, 4.8, "较好"),
        (80.0, 4.8, "较好"),
        (60.0, 4.8, "一般"),
        (59.99, 4.8, "较差"),
        (95.0, 4.49, "一般"),  # cap: satisfaction below 4.5 → at most 一般
        (85.0, 4.0, "一般"),
        (95.0, 4.5, "好"),  # 4.5 is not below
        (70.0, 4.0, "一般"),
        (50.0, 3.0, "较差"),  # the cap never raises a grade
    ],
)
def test_grades_and_cap_rule(composite, satisfaction, grade):
    out = _run([("2025Q1", "a", composite, satisfaction), ("2025Q1", "b", 10.0, 5.0), ("2025Q1", "c", 5.0, 5.0)])
    assert out.loc[("2025Q1", "a"), "grade"] == grade


def test_rank_change_lists_and_yellow_cards():
    q1 = [("2025Q1", f"u{i:02d}", 100.0 - 2 * i, 4.8) for i in range(11)]
    q1 += [("2025Q1", "low", 55.0, 4.8), ("2025Q1", "new", None, 4.8)]
    q2 = [("2025Q2", f"u{i:02d}", 100.0 - 2 * i, 4.8) for i in range(11)]
    q2[0] = ("2025Q2", "u00", 90.0, 4.8)  # 100 → 90: fell exactly 10 points
    q2[1] = ("2025Q2", "u01", 95.0, 4.8)  # rose to rank 1
    q2[2] = ("2025Q2", "u02", 95.0, 4.8)  # tied with it at the red boundary
    q2 += [("2025Q2", "low", 50.0, 4.8), ("2025Q2", "new", 30.0, 4.8)]
    out = _run(q1 + q2)
    p2 = out.loc["2025Q2"]
    assert p2.loc["u01", "composite_rank"] == 1 and p2.loc["u01", "rank_change"] == 2 - 1
    # u00 (90) ties with u05 (90) at rank 5 behind u01, u02 (95), u03 (94), u04 (92); it was 1st.
    assert p2.loc["u00", "composite_rank"] == 5 and p2.loc["u00", "rank_change"] == 1 - 5
    assert pd.isna(p2.loc["new", "rank_change"])  # not ranked in the previous period
    # 13 ranked: ceil(1.3) = 2 on each list; u01 and u02 tie at rank 1, u03 is 3rd: not listed.
    assert sorted(p2.index[p2["list"] == "红榜"]) == ["u01", "u02"]
    assert sorted(p2.index[p2["list"] == "黑榜"]) == ["low", "new"]
    assert bool(p2.loc["u00", "yellow_card"])  # fell by 10 points
    assert bool(p2.loc["low", "yellow_card"])  # 较差 in both periods
    assert not bool(p2.loc["new", "yellow_card"])  # 较差 now, no previous period
    assert not bool(p2.loc["u03", "yellow_card"])


def test_no_lists_below_three_ranked_units():
    out = _run([("2025Q1", "a", 90.0, 4.8), ("2025Q1", "b", 10.0, 4.8), ("2025Q1", "c", None, 4.8)])
    assert out["list"].isna().all()

"""Methodology v1.1 on scores set by hand: years (annual means, min_quarters, pooled-year cap,
rank change and yellow card against the previous year), adjustments (caps, clip, veto, red
list without replacement, entries only on their own unit and period) and grade quotas (ties
at the boundary, cascade). Every expected value is computed by hand in the comments."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.engine.compute import SQL, indicators, set_adjustments, unit_marts, year_parameters
from pipelines.engine.methodology import DEFAULT, load, parse
from pipelines.vocabulary import BLACK_LIST, BONUS, DEDUCTION, RED_LIST, VETO


def _entries(rows: list[tuple]) -> pd.DataFrame:
    """rows: (level, unit_id, period, kind, points) → the register's in_force() columns."""
    frame = pd.DataFrame(rows, columns=["level", "unit_id", "period", "kind", "points"])
    return frame.assign(
        adjustment_id=range(1, len(rows) + 1),
        reason="测试",
        evidence_name=None,
        evidence_sha256=None,
        entered_by="a",
        entered_at=pd.Timestamp("2026-01-05 09:00"),
        approved_by="b",
        approved_at=pd.Timestamp("2026-01-06 09:00"),
    )


def _run(rows: list[tuple], entries: list[tuple] = (), m=None) -> pd.DataFrame:
    """rows: (period, unit_id, composite, satisfaction) at level grid; the indices follow the
    composite. The marts of methodology `m` (default: the shipped one) with these entries."""
    m = m or load()
    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=["period", "unit_id", "composite", "satisfaction"])
    frame = frame.assign(level="grid", unit_name=frame["unit_id"], peer_class=None)
    frame = frame.assign(fortress=frame["composite"], vanguard=frame["composite"], service=frame["composite"])
    con.register("f", frame)
    con.execute(
        "CREATE TEMP TABLE int_index_scores AS SELECT period, level, unit_id, unit_name, "
        "CAST(peer_class AS VARCHAR) AS peer_class, fortress, vanguard, service, composite, satisfaction FROM f"
    )
    set_adjustments(con, m, _entries(list(entries)) if entries else None)
    unit_marts(con, m)
    return con.execute("SELECT * FROM mart_unit_scores_new").df().set_index(["period", "unit_id"]).sort_index()


# --- years -----------------------------------------------------------------------------------


def _years(engine: list[tuple], wide: list[tuple], min_quarters: int = 3) -> pd.DataFrame:
    """engine: (period, unit_id, fortress, vanguard, service) per quarter; wide: (period,
    unit_id, S4_sum, S4_n). The year rows of int_index_scores, as compute builds them."""
    text = DEFAULT.read_text(encoding="utf-8").replace("min_quarters = 3", f"min_quarters = {min_quarters}")
    m = parse(text)
    con = duckdb.connect()
    e = pd.DataFrame(engine, columns=["period", "unit_id", "fortress", "vanguard", "service"]).assign(level="grid")
    e["composite"] = None
    w = pd.DataFrame(wide, columns=["period", "unit_id", "S4_sum", "S4_n"]).assign(level="grid", S4=None)
    units = e[["unit_id"]].drop_duplicates().assign(level="grid", unit_name=e["unit_id"], peer_class="", grid_id="")
    periods = e[["period"]].drop_duplicates()
    for name, f in (("e", e), ("w", w), ("u", units), ("p", periods)):
        con.register(name, f)
    con.execute("CREATE TEMP TABLE int_unit_engine AS SELECT * FROM e")
    con.execute("CREATE TEMP TABLE int_indicator_wide AS SELECT * FROM w")
    con.execute("CREATE TEMP TABLE int_unit_grids AS SELECT * FROM u")
    con.execute("CREATE TEMP TABLE int_periods AS SELECT * FROM p")
    con.execute((SQL / "int_year_engine.sql").read_text(encoding="utf-8").format(**year_parameters(m)))
    sql = (SQL / "int_index_scores.sql").read_text(encoding="utf-8").format(**indicators.parameters(m))
    con.execute(sql)
    out = con.execute("SELECT * FROM int_index_scores WHERE NOT contains(period, 'Q')").df()
    return out.set_index(["period", "unit_id"])


def test_annual_means_over_the_quarters_present_and_below_min_quarters():
    engine = [
        # a: fortress in 3 quarters (80, 90, 70 → 80); vanguard in 4 (60 each → 60);
        #    service in 3 (90, 100, 95 → 95): composite = (80 + 60 + 95) / 3 = 78.3333…
        ("2025Q1", "a", 80.0, 60.0, 90.0),
        ("2025Q2", "a", 90.0, 60.0, 100.0),
        ("2025Q3", "a", None, 60.0, None),
        ("2025Q4", "a", 70.0, 60.0, 95.0),
        # b: service in 2 quarters only (< 3): its year's service and composite are missing.
        ("2025Q1", "b", 50.0, 50.0, 40.0),
        ("2025Q2", "b", 50.0, 50.0, None),
        ("2025Q3", "b", 50.0, 50.0, None),
        ("2025Q4", "b", 50.0, 50.0, 60.0),
    ]
    wide = [(p, u, 0.0, 0.0) for p, u, *_ in engine]
    out = _years(engine, wide)
    a, b = out.loc[("2025", "a")], out.loc[("2025", "b")]
    assert (a["fortress"], a["vanguard"], a["service"]) == (80.0, 60.0, 95.0)
    assert a["composite"] == pytest.approx(235 / 3)
    assert b["fortress"] == 50.0 and pd.isna(b["service"]) and pd.isna(b["composite"])
    # With min_quarters = 2, b's service counts: (40 + 60) / 2 = 50, composite 50.
    two = _years(engine, wide, min_quarters=2).loc[("2025", "b")]
    assert two["service"] == 50.0 and two["composite"] == 50.0


def test_the_year_s_satisfaction_pools_its_records():
    engine = [("2025Q1", "a", 95.0, 95.0, 95.0), ("2025Q2", "a", 95.0, 95.0, 95.0), ("2025Q3", "a", 95.0, 95.0, 95.0)]
    # Q1: 100 ratings of 5 → R = (500 + 40) / 110 = 4.909; Q2: two ratings of 3 → R = (6 + 40) / 12
    # = 3.833; Q3: none → R = 4.0. Mean of quarterly R = 4.247 (would cap); pooled over the year:
    # (506 + 40) / (102 + 10) = 4.875.
    wide = [("2025Q1", "a", 500.0, 100), ("2025Q2", "a", 6.0, 2), ("2025Q3", "a", 0.0, 0)]
    year = _years(engine, wide).loc[("2025", "a")]
    assert year["satisfaction"] == pytest.approx(546 / 112)
    marts = _run([("2025", "a", 95.0, year["satisfaction"]), ("2025", "b", 50.0, 5.0), ("2025", "c", 40.0, 5.0)])
    assert marts.loc[("2025", "a"), "grade"] == "好"  # not capped: pooled R ≥ 4.5


def test_year_rank_change_and_yellow_card_against_the_previous_year():
    rows = [
        ("2024", "a", 80.0, 4.8),  # 2024: a 1st, b 2nd, c 3rd
        ("2024", "b", 70.0, 4.8),
        ("2024", "c", 50.0, 4.8),
        ("2024Q4", "a", 10.0, 4.8),  # quarters are ranked apart: a last in 2024Q4
        ("2024Q4", "b", 60.0, 4.8),
        ("2024Q4", "c", 90.0, 4.8),
        ("2025Q1", "a", 95.0, 4.8),
        ("2025Q1", "b", 60.0, 4.8),
        ("2025Q1", "c", 90.0, 4.8),
        ("2025", "a", 69.0, 4.8),  # 80 → 69: fell 11 ≥ 10 → yellow card; 2nd (was 1st): −1
        ("2025", "b", 75.0, 4.8),  # 1st, was 2nd: +1
        ("2025", "c", 55.0, 4.8),  # 较差 in 2024 (50) and 2025 (55): yellow card
    ]
    out = _run(rows)
    assert out.loc[("2025", "a"), "rank_change"] == -1 and out.loc[("2025", "b"), "rank_change"] == 1
    assert bool(out.loc[("2025", "a"), "yellow_card"]) and bool(out.loc[("2025", "c"), "yellow_card"])
    assert not bool(out.loc[("2025", "b"), "yellow_card"])
    # 2025Q1 against 2024Q4 (a: 3rd → 1st = +2), not against the year 2024.
    assert out.loc[("2025Q1", "a"), "rank_change"] == 2
    assert pd.isna(out.loc[("2024", "a"), "rank_change"])  # no year before 2024
    assert not bool(out.loc[("2025Q1", "a"), "yellow_card"])  # rose from 10 (2024Q4), not fell from 80 (2024)


# --- adjustments -----------------------------------------------------------------------------


def test_bonus_and_deduction_caps_and_the_clip():
    rows = [("2025Q1", u, c, 4.8) for u, c in (("a", 70.0), ("b", 70.0), ("c", 98.0), ("d", 10.0), ("e", None))]
    entries = [
        ("grid", "a", "2025Q1", BONUS, 3.0),  # 3 + 4 = 7 → capped at 5: 70 + 5 = 75
        ("grid", "a", "2025Q1", BONUS, 4.0),
        ("grid", "b", "2025Q1", DEDUCTION, -15.0),  # −25 → capped at −20: 70 − 20 = 50
        ("grid", "b", "2025Q1", DEDUCTION, -10.0),
        ("grid", "b", "2025Q1", BONUS, 2.0),  # B + D = 2 − 20 = −18: 52
        ("grid", "c", "2025Q1", BONUS, 5.0),  # 98 + 5 = 103 → clipped at 100
        ("grid", "d", "2025Q1", DEDUCTION, -20.0),  # 10 − 20 = −10 → clipped at 0
        ("grid", "e", "2025Q1", BONUS, 5.0),  # no composite: stays missing
    ]
    out = _run(rows, entries).loc["2025Q1"]
    assert out["composite"].tolist()[:4] == [75.0, 52.0, 100.0, 0.0] and pd.isna(out.loc["e", "composite"])
    assert out["composite_raw"].tolist()[:4] == [70.0, 70.0, 98.0, 10.0]
    assert out["adjustment"].tolist() == [5.0, -18.0, 5.0, -20.0, 5.0]
    assert out["fortress"].tolist()[:4] == [70.0, 70.0, 98.0, 10.0]  # indices are never adjusted
    assert out["composite_rank"].tolist()[:4] == [2, 3, 1, 4]  # ranks on C'
    assert out.loc["a", "grade"] == "一般" and out.loc["c", "grade"] == "好"  # grades on C'
    assert not out["veto"].any()


def test_the_grade_takes_c_prime_before_the_cap_rule():
    rows = [("2025Q1", "a", 88.0, 4.8), ("2025Q1", "b", 88.0, 4.0), ("2025Q1", "c", 20.0, 4.8)]
    entries = [("grid", "a", "2025Q1", BONUS, 3.0), ("grid", "b", "2025Q1", BONUS, 3.0)]
    out = _run(rows, entries).loc["2025Q1"]
    assert out.loc["a", "grade"] == "好"  # 91
    assert out.loc["b", "grade"] == "一般"  # 91, but satisfaction 4.0 < 4.5 caps it


def test_a_veto_gives_the_lowest_grade_and_leaves_the_red_list_unfilled():
    # 11 units: ceil(1.1) = 2 on each list; u00 (100) and u01 (98) on the red list in v1.
    rows = [("2025Q1", f"u{i:02d}", 100.0 - 2 * i, 4.8) for i in range(11)]
    out = _run(rows, [("grid", "u00", "2025Q1", VETO, 0.0)]).loc["2025Q1"]
    assert out.loc["u00", "grade"] == "较差" and bool(out.loc["u00", "veto"])
    assert out.loc["u00", "composite"] == 100.0 and out.loc["u00", "composite_rank"] == 1  # C' unchanged
    assert list(out.index[out["list"] == RED_LIST]) == ["u01"]  # u02 does not take u00's place
    assert sorted(out.index[out["list"] == BLACK_LIST]) == ["u09", "u10"]
    assert out.loc["u01", "grade"] == "好"


def test_entries_apply_only_to_their_own_unit_level_and_period():
    rows = [("2025Q1", u, c, 4.8) for u, c in (("a", 70.0), ("b", 60.0), ("c", 50.0))]
    rows += [("2025", u, c, 4.8) for u, c in (("a", 70.0), ("b", 60.0), ("c", 50.0))]
    entries = [
        ("grid", "a", "2025", BONUS, 5.0),  # the year only
        ("community", "a", "2025Q1", DEDUCTION, -20.0),  # another level: nothing here
        ("grid", "zz", "2025Q1", BONUS, 5.0),  # no such unit: nothing
        ("grid", "b", "2026Q1", VETO, 0.0),  # no such period: nothing
    ]
    out = _run(rows, entries)
    assert out.loc[("2025", "a"), "composite"] == 75.0 and out.loc[("2025Q1", "a"), "composite"] == 70.0
    assert (out.loc["2025Q1", "adjustment"] == 0).all() and not out["veto"].any()
    assert len(out) == 6  # an entry adds no row


# --- quotas ----------------------------------------------------------------------------------


def _with_quotas(quotas: str):
    return parse(DEFAULT.read_text(encoding="utf-8") + f"\n[quotas]\n{quotas}\n")


def test_a_quota_keeps_the_ties_at_the_boundary_and_cascades():
    m = _with_quotas('"好" = 0.2\n"较好" = 0.3')
    composites = [99.0, 95.0, 95.0, 93.0, 88.0, 85.0, 82.0, 70.0, 65.0, 50.0]
    rows = [("2025Q1", f"u{i}", c, 4.8) for i, c in enumerate(composites)]
    out = _run(rows, m=m).loc["2025Q1"]
    # 10 ranked: 好 at most ceil(0.2 × 10) = 2. Holders 99, 95, 95, 93 rank 1, 2, 2, 4 among
    # themselves: both 95s tie with the 2nd (inside) and keep 好; 93 drops to 较好.
    # 较好 at most ceil(0.3 × 10) = 3: holders 93 (dropped in), 88, 85, 82 → 82 (4th) drops to 一般.
    assert out["grade"].tolist() == ["好", "好", "好", "较好", "较好", "较好", "一般", "一般", "一般", "较差"]
    assert out["composite_rank"].tolist() == [1, 2, 2, 4, 5, 6, 7, 8, 9, 10]  # ranks are untouched


def test_quotas_count_after_the_cap_rule_and_vetoes():
    m = _with_quotas('"好" = 0.2')
    # 10 ranked: 好 at most 2. u0 is vetoed (较差), u1 capped (一般): the holders are u2, u3, u4 → u4 drops.
    rows = [("2025Q1", "u0", 99.0, 4.8), ("2025Q1", "u1", 98.0, 4.0)]
    rows += [("2025Q1", f"u{i}", c, 4.8) for i, c in ((2, 97.0), (3, 96.0), (4, 95.0))]
    rows += [("2025Q1", f"u{i}", 50.0, 4.8) for i in range(5, 10)]
    out = _run(rows, [("grid", "u0", "2025Q1", VETO, 0.0)], m=m).loc["2025Q1"]
    assert out["grade"].tolist()[:5] == ["较差", "一般", "好", "好", "较好"]
    # No quota: all three keep 好.
    assert _run(rows, [("grid", "u0", "2025Q1", VETO, 0.0)]).loc["2025Q1"]["grade"].tolist()[2:5] == ["好"] * 3

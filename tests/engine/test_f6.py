"""F6 任务完成率 (methodology v1.2) by hand, on the tiny city of test_indicators.py with a task
list; the absolute 0.5 rule of the insufficient-data test; F6 missing everywhere without a
task list, and the fortress renormalised over the others.

Tasks (quarter = that of the due date):
- B1 (G1's branch): T1 due 03-31, done 03-31 (on the day: counts, Q1); T2 due 03-31, done 04-02
  (late, Q1); T7 due 04-01, done 03-31 (Q2, early: done).
- X1 (G1's building group): T3 due 02-15, done 02-01 (Q1); T4 due 04-01, never done (Q2).
- B2 (G2's branch): T5 due 04-01, done 03-20 (Q2). Nothing due in Q1: F6 missing for G2.
- DW1 (社区党委, no grid): T6 due 03-15, not done: not any grid's task.
G1 Q1: 2 of 3 done; G2 Q1 missing; community Q1: 2/3. Q2: G1 1/2, G2 1/1, community 2/3.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.engine.composite import score_wide
from pipelines.engine.indicators import compute_raw
from pipelines.engine.methodology import MethodologyError, load, parse
from tests.engine.test_indicators import COMMUNITY, SETUP
from tests.engine.test_v11_unchanged import V11

TASKS = """
CREATE TABLE tasks AS SELECT task_id, org_id, '任务' AS content, NULL::VARCHAR AS category,
    DATE '2025-01-01' AS assigned_date, CAST(due AS DATE) AS due_date, CAST(done AS DATE) AS completed_date
FROM (VALUES
    ('T1', 'B1', '2025-03-31', '2025-03-31'), ('T2', 'B1', '2025-03-31', '2025-04-02'),
    ('T7', 'B1', '2025-04-01', '2025-03-31'),
    ('T3', 'X1', '2025-02-15', '2025-02-01'), ('T4', 'X1', '2025-04-01', NULL),
    ('T5', 'B2', '2025-04-01', '2025-03-20'), ('T6', 'DW1', '2025-03-15', NULL))
    t(task_id, org_id, due, done);
"""
KEYS, GROUP = ("period", "level", "unit_id"), ("period", "level")


def _city(tasks: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(SETUP)
    if tasks:
        con.execute(TASKS)
    return con


@pytest.fixture(scope="module")
def con():
    c = _city(tasks=True)
    compute_raw(c, load(), 1)
    score_wide(c, "int_indicator_wide", load().tree(), KEYS, GROUP, into="engine")
    return c


def _value(con, unit: str, period: str, column: str = "F6", table: str = "int_indicator_wide"):
    rows = con.execute(f"SELECT {column} FROM {table} WHERE unit_id = ? AND period = ?", [unit, period]).fetchall()
    return rows[0][0]


@pytest.mark.parametrize(
    "unit,period,expected",
    [
        ("G1", "2025Q1", 2 / 3),  # T1 on the due day counts, T2 late, T3 early; T7 (due 04-01) is Q2's
        ("G2", "2025Q1", None),  # nothing due: missing (T5, due 04-01, is Q2's)
        (COMMUNITY, "2025Q1", 2 / 3),  # DW1's task is no grid's
        ("G1", "2025Q2", 1 / 2),  # T7 done before its due date, T4 never
        ("G2", "2025Q2", 1.0),
        (COMMUNITY, "2025Q2", 2 / 3),  # pooled: (1 + 1) / (2 + 1), not the mean of 1/2 and 1
        ("全市", "2025Q2", 2 / 3),
    ],
)
def test_f6_by_hand(con, unit, period, expected):
    got = _value(con, unit, period)
    assert got is None if expected is None else got == pytest.approx(expected, abs=1e-12)


def test_f6_scores_in_the_fortress_and_is_skipped_where_missing(con):
    m = load()
    weights = {i.code: i.weight for i in m.indicators_of("fortress")}
    lo, hi = 0.5, 1.0
    for unit, period in (("G1", "2025Q1"), ("G2", "2025Q1")):
        scores = {c: _value(con, unit, period, c, "engine") for c in weights}
        present = {c: s for c, s in scores.items() if s is not None}
        expected = sum(weights[c] * s for c, s in present.items()) / sum(weights[c] for c in present)
        assert _value(con, unit, period, "fortress", "engine") == pytest.approx(expected, abs=1e-9)
    assert _value(con, "G1", "2025Q1", "F6", "engine") == pytest.approx(100 * (2 / 3 - lo) / (hi - lo))
    assert _value(con, "G2", "2025Q1", "F6", "engine") is None
    # G2 without tasks: the fortress of F1–F5 renormalised, as v1.1 computes it.
    v11 = _city(tasks=True)
    compute_raw(v11, load(V11), 1)
    score_wide(v11, "int_indicator_wide", load(V11).tree(), KEYS, GROUP, into="engine")
    assert _value(con, "G2", "2025Q1", "fortress", "engine") == pytest.approx(
        _value(v11, "G2", "2025Q1", "fortress", "engine"), abs=1e-12
    )
    assert _value(con, "G1", "2025Q1", "fortress", "engine") != pytest.approx(
        _value(v11, "G1", "2025Q1", "fortress", "engine")
    )


@pytest.mark.parametrize("empty", [False, True], ids=["no tasks table", "an empty task list"])
def test_without_a_task_list_f6_is_missing_everywhere(empty):
    c = _city(tasks=False)
    if empty:
        c.execute(TASKS)
        c.execute("DELETE FROM tasks")
    compute_raw(c, load(), 1)
    assert c.execute("SELECT count(*), count(F6) FROM int_indicator_wide").fetchall() == [
        (12, 0)
    ]  # 6 units, 2 quarters
    assert c.execute("SELECT count(*) FROM int_indicator_values WHERE code = 'F6'").fetchall() == [(0,)]


def _fortress(m, rows: dict[str, dict[str, float]]) -> dict[str, float | None]:
    con = duckdb.connect()
    codes = [i.code for i in m.indicators]
    frame = pd.DataFrame([{"unit": u, **{c: v.get(c, np.nan) for c in codes}} for u, v in rows.items()])
    con.register("f", frame)
    con.execute("CREATE TABLE wide AS SELECT * FROM f")
    score_wide(con, "wide", m.tree(), ("unit",), into="out")
    return dict(con.execute("SELECT unit, fortress FROM out").fetchall())


def test_the_insufficient_data_rule_is_an_absolute_weight_sum():
    """Fortress weights present: u1 F3 + F5 + F6 = 0.25 + 0.10 + 0.15 = 0.5 (at the minimum);
    u2 F3 + F6 = 0.40; u3 F1 + F4 = 0.5; u4 F2 + F3 + F5 = 0.5. A share of 0.5 of the v1.2
    weights (1.15) would need 0.575 and drop u1, u3 and u4."""
    rows = {
        "u1": {"F3": 0.4, "F5": 8.5, "F6": 0.75},
        "u2": {"F3": 0.4, "F6": 0.75},
        "u3": {"F1": 1.0, "F4": 0.65},
        "u4": {"F2": 0.8, "F3": 0.8, "F5": 15.0},
    }
    got = _fortress(load(), rows)
    assert got["u1"] == pytest.approx(100 * (0.25 * 0.5 + 0.10 * 0.5 + 0.15 * 0.5) / 0.5)
    assert got["u2"] is None
    assert got["u3"] == pytest.approx(100 * (0.30 * 1.0 + 0.20 * 0.5) / 0.5)
    assert got["u4"] == pytest.approx(100 * (0.15 * 0.5 + 0.25 * 1.0 + 0.10 * 1.0) / 0.5)
    share = parse(load().text.replace("min_weight = 0.5 ", "min_weight_share = 0.5 "))
    assert share.scoring.min_weight_share == 0.5 and share.scoring.min_weight is None
    assert _fortress(share, rows) == {"u1": None, "u2": None, "u3": None, "u4": None}


def test_the_minimum_is_configurable_and_one_kind_is_given():
    text = load().text
    stricter = parse(text.replace("min_weight = 0.5 ", "min_weight = 0.6 "))
    assert _fortress(stricter, {"u3": {"F1": 1.0, "F4": 0.65}}) == {"u3": None}
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("min_weight = 0.5"))
    with pytest.raises(MethodologyError, match=rf"^methodology.toml:{line + 1}: scoring: give one of min_weight"):
        parse(text.replace("min_weight = 0.5 ", "min_weight = 0.5\nmin_weight_share = 0.5\n"))
    with pytest.raises(MethodologyError, match=r"methodology.toml:\d+: scoring: needs min_weight"):
        parse(text.replace("min_weight = 0.5 ", "# none "))
    with pytest.raises(MethodologyError, match=rf"methodology.toml:{line}: scoring: min_weight must be a number ≥ 0"):
        parse(text.replace("min_weight = 0.5 ", 'min_weight = "半" '))


def test_the_v1_1_file_keeps_its_share_rule_and_knows_no_f6():
    m = load(V11)
    assert m.scoring.min_weight_share == 0.5 and m.scoring.min_weight is None
    assert "F6" not in {i.code for i in m.indicators}
    assert {n.code: n.min_share for n in m.tree() if n.level == 2} == {"fortress": 0.5, "vanguard": 0.5, "service": 0.5}

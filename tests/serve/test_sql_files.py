"""The serving layer's SQL files and quarter arithmetic (no generated city needed)."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from pipelines.serve import periods, query

FILES = sorted(p.stem for p in query.SQL.glob("*.sql") if p.stem != "macros")


@pytest.mark.parametrize("name", FILES)
def test_each_file_is_one_select_with_named_parameters(name):
    text = query.text(name)
    statements = duckdb.connect().extract_statements(text)
    assert [s.type for s in statements] == [duckdb.StatementType.SELECT]
    assert "?" not in re.sub(r"'[^']*'", "", text)  # no positional parameters
    assert text.startswith("--")  # says what it returns


def test_the_scope_macros_state_covers():
    con = duckdb.connect()
    con.execute(query.text("macros"))
    rows = con.execute(
        "SELECT pbi_covers(s, p) FROM (VALUES ('', 'a'), ('a', 'a'), ('a', 'a/b'), ('a', 'ab'), ('a/b', 'a')) t(s, p)"
    ).fetchall()
    assert [r[0] for r in rows] == [True, True, True, False, False]
    grid = "SELECT pbi_unit_has_grid($level, $unit, 'g1', 'a/b/c')"
    assert con.execute(grid, {"level": "grid", "unit": "g1"}).fetchone()[0]
    assert not con.execute(grid, {"level": "grid", "unit": "g2"}).fetchone()[0]
    assert con.execute(grid, {"level": "city", "unit": "全市"}).fetchone()[0]
    assert con.execute(grid, {"level": "street", "unit": "a/b"}).fetchone()[0]
    assert not con.execute(grid, {"level": "street", "unit": "a/bb"}).fetchone()[0]


@pytest.mark.parametrize(
    ("period", "key", "start", "end"),
    [
        ("2025Q1", 20251, dt.date(2025, 1, 1), dt.date(2025, 4, 1)),
        ("2024Q3", 20243, dt.date(2024, 7, 1), dt.date(2024, 10, 1)),
        ("2025Q4", 20254, dt.date(2025, 10, 1), dt.date(2026, 1, 1)),
    ],
)
def test_a_quarters_key_and_days(period, key, start, end):
    assert periods.quarter(period) == (key, start, end, periods.QUARTER)


def test_the_previous_quarter_is_the_runs_quarter_before():
    quarters = ["2024Q4", "2025Q1", "2025Q3"]
    assert periods.previous(quarters, "2025Q3") == "2025Q1"
    assert periods.previous(quarters, "2024Q4") is None

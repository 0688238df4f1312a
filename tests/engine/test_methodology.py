"""Methodology v1 as configuration: the default scores as methodology-v1.md says, and a
malformed file is refused with its line and problem."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.engine.composite import score
from pipelines.engine.methodology import DEFAULT, MethodologyError, load


def _scores(values: dict[str, dict[str, float]], path=DEFAULT) -> dict[tuple[str, str], float]:
    rows = [(u, "2025Q1", c, v) for u, vs in values.items() for c, v in vs.items()]
    con = duckdb.connect()
    con.register("v", pd.DataFrame(rows, columns=["unit", "grp", "code", "value"]))
    table = score(con, "v", load(path).tree())
    return {(u, c): s for u, c, s in con.execute(f"SELECT unit, code, score FROM {table}").fetchall()}


def test_fortress_by_hand():
    got = _scores({"g": {"F1": 0.75, "F2": 0.9, "F3": 0.4, "F4": 0.65, "F5": 10}})
    # s = 0.75, (0.9−0.6)/0.4 = 0.75, 0.4/0.8 = 0.5, (0.65−0.4)/0.5 = 0.5, (10−2)/13 = 0.6154
    expected = 100 * (0.30 * 0.75 + 0.15 * 0.75 + 0.25 * 0.5 + 0.20 * 0.5 + 0.10 * 8 / 13)
    assert got[("g", "fortress")] == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(62.4038461538, abs=1e-9)


def test_goalposts_clip_and_missing_indicators_reweight():
    got = _scores({"g": {"F1": 1.2, "F2": 0.5, "F3": 0.4, "F5": 20}})  # F4 missing (no resolved demand)
    # clip: F1 → 1, F2 → 0, F5 → 1; present weights 0.30 + 0.15 + 0.25 + 0.10 = 0.80
    assert got[("g", "fortress")] == pytest.approx(100 * (0.30 * 1 + 0.15 * 0 + 0.25 * 0.5 + 0.10 * 1) / 0.80)


def test_insufficient_data_and_composite_missing():
    got = _scores({"g": {"F2": 0.8, "F5": 5, "V5": 30, "V6": 0.2, "S1": 15, "S2": 0.75, "S3": 0.5, "S4": 4.0}})
    assert ("g", "fortress") not in got  # weights present 0.25 < 0.5: insufficient data
    assert got[("g", "vanguard")] == pytest.approx(100 * (0.6 * 0.5 + 0.4 * 0.5))
    assert got[("g", "service")] == pytest.approx(100 * (0.2 * 0.5 + 0.25 * 0.5 + 0.2 * 0.5 + 0.35 * 0.5))
    assert ("g", "composite") not in got  # missing when any index is


def test_composite_is_the_mean_of_the_three():
    values = {
        "F1": 1,
        "F2": 1,
        "F3": 0.8,
        "F4": 0.9,
        "F5": 15,
        "V5": 30,
        "V6": 0.2,
        "S1": 0,
        "S2": 0.5,
        "S3": 0,
        "S4": 3.0,
    }
    got = _scores({"g": values})
    assert got[("g", "fortress")] == pytest.approx(100)
    assert got[("g", "vanguard")] == pytest.approx(50)
    assert got[("g", "service")] == pytest.approx(0)
    assert got[("g", "composite")] == pytest.approx(50)


def _edited(tmp_path, old: str, new: str, count: int = 1):
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "methodology.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def _line_of(path, needle: str, occurrence: int = 1) -> int:
    hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


@pytest.mark.parametrize(
    "old,new,needle,problem",
    [
        (
            'weight = 0.25\n\n[[indicators]]\ncode = "F4"',
            'weight = "高"\n\n[[indicators]]\ncode = "F4"',
            'weight = "高"',
            "indicators F3: weight must be a number ≥ 0",
        ),
        ('code = "F5"', 'code = "F9"', 'code = "F9"', "unknown indicator 'F9'"),
        ("lo = 0.4\nhi = 0.9", "lo = 0.9\nhi = 0.9", "lo = 0.9", "indicators F4: goalposts need lo < hi"),
        ('index = "service"', 'index = "services"', 'index = "services"', "unknown index 'services'"),
        ('max_grade = "一般"', 'max_grade = "中等"', 'max_grade = "中等"', "cap_rule: max_grade must be one of"),
        ("replications = 200", "replications = 0", "replications = 0", "replications must be a whole number"),
        ('"党课" = 1', '"党课学习" = 1', '"党课学习" = 1', "unknown meeting type"),
        # Names and numbers the engine and the pack read later: refused here, not a KeyError there.
        ('name = "先锋"', 'name = "合格"', 'name = "合格"', "member_tiers: a name appears twice"),
        ("seed = 20241", "seed = 1.5", "seed = 1.5", "rank_intervals: seed must be a whole number"),
        ("quantiles = [0.05, 0.95]", "quantiles = [0.95]", "quantiles =", "rank_intervals: quantiles"),
        ("satisfaction_prior_weight = 10", "satisfaction_prior_weight = '十'", "satisfaction_prior_weight", "number"),
        ("min_ranked_units = 3", "min_ranked_units = 2.5", "min_ranked_units", "lists: min_ranked_units"),
        ("scale = 100", "scale = 0", "scale = 0", "scoring: scale must be a number > 0"),
        # A tier named for V6 that does not exist: the line naming it.
        ("on_time_hours = 72", 'on_time_hours = 72\nvanguard_tier = "模范"', "vanguard_tier", "member_tiers: V6"),
        # A missing parameter: its section's line.
        ("member_rating_prior_weight = 5\n", "", "[parameters]", "parameters: member_rating_prior_weight"),
    ],
)
def test_malformed_file_is_refused_naming_the_line(tmp_path, old, new, needle, problem):
    path = _edited(tmp_path, old, new)
    with pytest.raises(MethodologyError) as e:
        load(path)
    assert f"methodology.toml:{_line_of(path, needle)}: " in str(e.value)
    assert problem in str(e.value)


def test_syntax_error_names_the_line(tmp_path):
    path = _edited(tmp_path, "weight = 0.30", "weight = = 0.30")
    with pytest.raises(MethodologyError, match=rf"line {_line_of(path, 'weight = = 0.30')}"):
        load(path)


def test_an_edited_weight_changes_results_and_hash(tmp_path):
    path = _edited(tmp_path, "weight = 0.30", "weight = 0.60")
    default, edited = load(), load(path)
    assert default.sha256 != edited.sha256 and default.text != edited.text
    values = {"g": {"F1": 1.0, "F2": 0.6, "F3": 0.0, "F4": 0.4, "F5": 2}}
    assert _scores(values)[("g", "fortress")] == pytest.approx(30.0)
    assert _scores(values, path)[("g", "fortress")] == pytest.approx(100 * 0.6 / 1.3)

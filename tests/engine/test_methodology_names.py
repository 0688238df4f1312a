"""Every name the code relies on is checked when the methodology is parsed: a renamed member
tier or grade is a `file:line` MethodologyError (and the compute command says so and exits),
never a StopIteration or KeyError later; the methodology's objects are typed and frozen. (Each
other malformed name or number, with its line: tests/engine/test_methodology.py.)"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipelines.engine.indicators import CUT_TOLERANCE, parameters
from pipelines.engine.methodology import DEFAULT, MethodologyError, load, parse
from pipelines.report import workbook
from pipelines.report.pack import Pack

ROOT = Path(__file__).resolve().parents[2]
# Every run and meeting pack publishes this hash: the shipped file's text changes only with its version (v1.2).
SHIPPED_SHA256 = "7c45c744a4045277dc53bd768c02ef2041388c858e652f2a12d0d88ac05b02c0"


def _text(*edits: tuple[str, str]) -> str:
    text = DEFAULT.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


RENAMED_TIER = ('name = "优秀"', 'name = "卓越"')


def test_a_renamed_tier_names_the_line():
    text = _text(RENAMED_TIER)
    with pytest.raises(MethodologyError) as e:
        parse(text)
    # The first [[member_tiers]]: the tiers are listed there, and the message names them.
    assert str(e.value).startswith(f"methodology.toml:{_line(text, '[[member_tiers]]')}: member_tiers: ")
    assert "'优秀'" in str(e.value) and "卓越" in str(e.value) and "vanguard_tier" in str(e.value)


def test_the_tier_v6_counts_can_be_named_in_the_file():
    text = _text(RENAMED_TIER, ("on_time_hours = 72", 'on_time_hours = 72\nvanguard_tier = "卓越"'))
    m = parse(text)
    assert m.vanguard_tier.name == "卓越" and m.vanguard_tier.min == 60
    assert parameters(m)["vanguard_excellent"] == repr(60 - CUT_TOLERANCE)


def test_the_default_counts_the_excellent_tier():
    m = load()
    assert m.parameters.vanguard_tier == "优秀" and m.vanguard_tier.min == 60
    assert parameters(m)["vanguard_excellent"] == repr(60 - CUT_TOLERANCE)


def test_compute_prints_the_line_and_exits_without_a_traceback(tmp_path):
    bad = tmp_path / "renamed.toml"
    bad.write_text(_text(RENAMED_TIER), encoding="utf-8")
    db = tmp_path / "pbi.duckdb"
    db.touch()  # the methodology is refused before the database is opened
    run = subprocess.run(
        [sys.executable, "-m", "pipelines", "compute", "--db", str(db), "--config", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert f"renamed.toml:{_line(bad.read_text(encoding='utf-8'), '[[member_tiers]]')}: member_tiers:" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_objects_are_typed_frozen_and_keep_the_file_as_written():
    m = load()
    assert m.version == "v1.2" and m.name_zh == "党建指数默认方法 v1.2"
    assert [g.name for g in m.grades] == ["好", "较好", "一般", "较差"] and m.lowest_grade == "较差"
    assert m.grades[0].min == 90 and isinstance(m.grades[0].min, int)  # printed as the file writes it
    assert m.yellow_card.composite_drop == 10.0 and m.cap_rule.max_grade == "一般"
    assert [i.code for i in m.indicators_of("vanguard")] == ["V5", "V6"]
    assert m.parameters.required_meetings == (("支部党员大会", 1), ("支部委员会", 3), ("党课", 1), ("主题党日", 3))
    assert m.rank_intervals.quantiles == (0.05, 0.95)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.grades[0].name = "优"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.lists = None  # type: ignore[misc]
    assert parse(m.text, m.path) is parse(m.text, m.path)  # parsed once per text
    assert m.sha256 == SHIPPED_SHA256


def _pack(m) -> Pack:
    units = pd.DataFrame(
        columns=[
            "unit_id", "unit_name", "level", "composite", "fortress", "vanguard", "service", "grade",
            "composite_rank", "rank_change", "rank_q05", "rank_q95", "list", "yellow_card",
            "prev_composite", "prev_grade",
        ]
    )  # fmt: skip
    run = {
        "run_id": 1,
        "computed_at": pd.Timestamp("2025-01-01"),
        "methodology_version": m.version,
        "config_hash": m.sha256,
        "data_batch": None,
        "data_digest": None,
        "loaded_at": None,
        "data_date": None,
    }
    empty = pd.DataFrame(columns=["period", *["composite", "fortress", "vanguard", "service"]])
    return Pack("2025Q1", None, "grid", "", run, m, units, empty, pd.DataFrame(columns=["unit_id"]), [], pd.DataFrame())


def test_the_workbook_names_the_methodology_s_lowest_grade():
    m = parse(_text(('name = "较差"', 'name = "差"'), ('repeat_grade = "较差"', 'repeat_grade = "差"')))
    assert m.lowest_grade == "差"
    cover = openpyxl.load_workbook(io.BytesIO(workbook.render(_pack(m))))["封面"]
    notes = [c.value for row in cover.iter_rows() for c in row if isinstance(c.value, str) and "整改清单" in c.value]
    assert notes and "等级为“差”" in notes[0] and "较差" not in notes[0]

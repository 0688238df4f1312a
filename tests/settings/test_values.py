"""Settings whose values are checked. PBI_LOAD_MEMORY (issue 19, case 14): a value DuckDB cannot take,
or one too small to load a city, is refused with a message naming the variable (exit 2, no
traceback); what is accepted reaches DuckDB as a parameter, so no value is ever read as SQL. The
session and big-screen times must be numbers > 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import settings

ROOT = Path(__file__).resolve().parents[2]
NAME = settings.LOAD_MEMORY.name


@pytest.mark.parametrize("value", ["10MB", "abc", "1GB'; SELECT 1; --", "99.9MB", "1.5", "GB", "-1GB", "1 PB"])
def test_unusable_values_are_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(settings.SettingError) as refused:
        settings.load_memory()
    assert NAME in str(refused.value)


@pytest.mark.parametrize(
    ("value", "given"),
    [("", "1500MB"), ("1500MB", "1500MB"), ("2 GiB", "2GiB"), ("0.5gb", "0.5GB"), ("100MB", "100MB"), ("1TB", "1TB")],
)
def test_usable_values_are_given_as_duckdb_reads_them(monkeypatch, value, given):
    monkeypatch.setenv(NAME, value)
    assert settings.load_memory() == given


@pytest.mark.slow
def test_the_cli_refuses_with_exit_2_and_no_traceback(tmp_path):
    raw = tmp_path / "grids.csv"
    raw.write_text(
        "网格编码,网格名称,所属社区,所属街道,所属区县,户数\nG001,一号网格,翠苑一区社区,翠苑街道,西湖区,300\n"
    )
    db = tmp_path / "pbi.duckdb"
    for value in ("abc", "1GB'; SELECT 1; --"):
        done = subprocess.run(
            [sys.executable, "-m", "pipelines", "load", str(raw), "--db", str(db)],
            cwd=ROOT,
            env=dict(os.environ, **{NAME: value}),
            capture_output=True,
            text=True,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 2, output
        assert NAME in output and "Traceback" not in output
        assert not db.exists()


@pytest.mark.parametrize("value", ["0", "-5", "abc", "nan", "inf", "30min"])
@pytest.mark.parametrize("setting", [settings.SESSION_MINUTES, settings.BIGSCREEN_HOURS])
def test_times_that_are_not_positive_numbers_are_refused_naming_the_variable(monkeypatch, setting, value):
    monkeypatch.setenv(setting.name, value)
    read = settings.session_timeout if setting is settings.SESSION_MINUTES else settings.bigscreen_limit
    with pytest.raises(settings.SettingError) as refused:
        read()
    assert setting.name in str(refused.value)


def test_times_are_read_as_given(monkeypatch):
    monkeypatch.setenv(settings.SESSION_MINUTES.name, "2.5")
    monkeypatch.setenv(settings.BIGSCREEN_HOURS.name, "1")
    assert settings.session_timeout().total_seconds() == 150
    assert settings.bigscreen_limit().total_seconds() == 3600

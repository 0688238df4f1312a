"""One default database: every command's --db, the dashboard and the Makefile name the file
that pipelines/settings.py names, from any working directory."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines import settings

ROOT = Path(__file__).resolve().parents[2]


def _db_defaults(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, str]:
    """`command [subcommand]` → the default of its --db, over every subcommand."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _db_defaults(sub, f"{prefix} {name}".strip())
        elif action.dest == "db":
            found[prefix] = action.default
    return found


@pytest.fixture
def elsewhere(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(settings.DB.name, raising=False)


def test_every_db_option_defaults_to_the_setting(elsewhere):
    from pipelines.cli import build_parser

    defaults = _db_defaults(build_parser())
    assert {"load", "compute", "export", "report", "users add", "users demo"} <= set(defaults)
    assert set(defaults.values()) == {str(ROOT / "data" / "warehouse" / "pbi.duckdb")}, defaults


def test_pbi_db_moves_every_default_together(elsewhere, monkeypatch):
    from dashboard import data
    from pipelines.cli import build_parser

    monkeypatch.setenv(settings.DB.name, "other/pbi.duckdb")
    defaults = _db_defaults(build_parser())
    assert set(defaults.values()) == {str(ROOT / "other" / "pbi.duckdb")} == {str(data.db_path())}


def test_the_makefile_leaves_the_default_to_the_settings():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pbi.duckdb" not in text  # no second copy of the default
    assert "--db" not in text  # every command takes its default from settings.py


def _make(*args: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_db_reaches_every_command_as_pbi_db():
    """`make … DB=FILE` exports PBI_DB=FILE to the recipes; without DB nothing is set (a recipe
    added with --eval prints what every recipe sees; nothing is built)."""
    show = 'show-db: ; @echo "[$$PBI_DB]"'
    assert _make("--eval", show, "show-db").strip() == "[]"
    assert _make("--eval", show, "show-db", "DB=/tmp/x.duckdb").strip() == "[/tmp/x.duckdb]"
    dry = _make("-n", "compute")
    assert "-m pipelines compute" in dry and "--db" not in dry

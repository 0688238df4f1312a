"""`python -m pipelines adjust add|approve|reject|revoke|list`: the id as the last word of
`add`, refusals on stderr with exit status 2, and the listing's states."""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.access import audit
from pipelines.evaluation import adjustments as adj
from tests.evaluation.conftest import GRIDS

ROOT = Path(__file__).resolve().parents[2]
GRID, WEST_GRID = GRIDS[0][0], GRIDS[2][0]
HEADERS = ["编号", "期间", "层级", "单位", "类型", "分值", "状态", "登记人", "登记时间", "处理人", "处理时间", "事由"]
BILINGUAL = re.compile(r"[\u4e00-\u9fff].*\([^)]*[A-Za-z]{3,}")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=ROOT, env={**os.environ}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def _add_args(db: Path, **changes: str) -> list[str]:
    options = {"level": "grid", "unit": GRID, "period": "2025Q2", "kind": "加分", "points": "2", "reason": "表彰"}
    options |= changes
    args = ["adjust", "add", "--db", str(db)]
    for key, value in options.items():
        args += [f"--{key}", value]
    return args


def test_end_to_end_in_processes(warehouse, people, tmp_path):
    evidence = tmp_path / "通报.pdf"
    evidence.write_bytes(b"%PDF-1.4 proof")
    added = _cli(*_add_args(warehouse, evidence=str(evidence), by="admin"))
    assert added.returncode == 0, added.stderr
    number = added.stdout.split()[-1]
    assert number == "1"

    vetoed = _cli(*_add_args(warehouse, level="district", unit="西区", kind="一票否决", points="0", by="admin"))
    assert vetoed.returncode == 0 and vetoed.stdout.split()[-1] == "2"
    deducted = _cli(*_add_args(warehouse, kind="扣分", points="-1.5", period="2025", by="admin"))
    assert deducted.returncode == 0 and deducted.stdout.split()[-1] == "3"  # a negative number as a value

    same = _cli("adjust", "approve", number, "--by", "admin", "--db", str(warehouse))
    assert same.returncode == 2 and BILINGUAL.search(same.stderr) and same.stdout == ""
    assert _cli("adjust", "approve", number, "--by", "approver", "--db", str(warehouse)).returncode == 0
    twice = _cli("adjust", "approve", number, "--by", "east", "--db", str(warehouse))
    assert twice.returncode == 2 and "approved" in twice.stderr
    assert _cli("adjust", "reject", "2", "--by", "west", "--reason", "不属实", "--db", str(warehouse)).returncode == 0
    assert _cli("adjust", "revoke", number, "--by", "admin", "--reason", "撤回", "--db", str(warehouse)).returncode == 0

    listing = _cli("adjust", "list", "--db", str(warehouse))
    assert listing.returncode == 0, listing.stderr
    header, *lines = listing.stdout.splitlines()
    assert header.split() == HEADERS
    assert [line.split()[0] for line in lines] == ["1", "2", "3"]
    assert "已撤销" in lines[0] and "approver" not in lines[0] and "admin" in lines[0] and "撤回" in lines[0]
    assert "已驳回" in lines[1] and "west" in lines[1] and "不属实" in lines[1]
    assert "待审批" in lines[2] and "-1.5" in lines[2]
    period = _cli("adjust", "list", "--period", "2025", "--db", str(warehouse))
    assert [line.split()[0] for line in period.stdout.splitlines()[1:]] == ["3"]
    level = _cli("adjust", "list", "--level", "district", "--db", str(warehouse))
    assert [line.split()[0] for line in level.stdout.splitlines()[1:]] == ["2"]

    log = audit.read().sort_values("seq")
    assert log["event"].tolist() == [
        "adjustment_added",
        "adjustment_added",
        "adjustment_added",
        "adjustment_approved",
        "adjustment_rejected",
        "adjustment_revoked",
    ]
    assert log["actor"].tolist() == ["admin", "admin", "admin", "approver", "west", "admin"]
    assert {json.loads(d)["os"] for d in log["detail"]} == {f"os:{getpass.getuser()}"}
    assert adj.evidence(warehouse, 1) == ("通报.pdf", b"%PDF-1.4 proof")


REFUSED = {
    "unknown unit": {"unit": "339999999999"},
    "unknown level": {"level": "province"},
    "unknown period": {"period": "2026Q1"},
    "unknown user": {"by": "nobody"},
    "no admin right": {"by": "approver"},
    "bad points": {"points": "-2"},
    "not a number": {"points": "two"},
    "veto with points": {"kind": "一票否决", "points": "1"},
    "blank reason": {"reason": " "},
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_entries_exit_2(warehouse, people, capsys, case):
    options = {"by": "admin"} | REFUSED[case]
    assert cli.main(_add_args(warehouse, **options)) == 2
    out, err = capsys.readouterr()
    assert out == "" and BILINGUAL.search(err), err
    assert adj.listing(warehouse).empty


def test_refused_decisions_exit_2(warehouse, people, capsys):
    assert cli.main(_add_args(warehouse, by="admin2", unit=WEST_GRID)) == 0
    number = capsys.readouterr().out.split()[-1]
    db = ["--db", str(warehouse)]
    for args in (
        ["approve", number, "--by", "admin2"],  # the same user
        ["approve", number, "--by", "admin"],  # no approve right
        ["approve", number, "--by", "east"],  # outside the scope
        ["approve", "42", "--by", "approver"],  # no such entry
        ["reject", number, "--by", "approver", "--reason", ""],  # no reason
        ["revoke", number, "--by", "viewer", "--reason", "x"],  # no right
    ):
        assert cli.main(["adjust", *args, *db]) == 2, args
        assert BILINGUAL.search(capsys.readouterr().err)
    assert cli.main(["adjust", "reject", number, "--by", "approver", "--reason", "不符", *db]) == 0
    capsys.readouterr()
    assert cli.main(["adjust", "approve", number, "--by", "approver", *db]) == 2  # wrong state
    assert "rejected" in capsys.readouterr().err
    assert cli.main(["adjust", "revoke", number, "--by", "admin", "--reason", "x", *db]) == 2
    assert cli.main(["adjust", "list", "--level", "town", *db]) == 2


def test_an_empty_register_lists_nothing(warehouse, capsys):
    assert cli.main(["adjust", "list", "--db", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[0] == "编号" and "no adjustments" in out


def test_every_command_takes_db_defaulting_to_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("PBI_DB", str(tmp_path / "x.duckdb"))
    parser = cli.build_parser()
    add = ["add", "--level", "city", "--unit", "全市", "--period", "2025", "--kind", "加分", "--points", "1"]
    by, why = ["--by", "admin"], ["--reason", "r"]
    for command in ([*add, *why, *by], ["approve", "1", *by], ["reject", "1", *by, *why], ["revoke", "1", *by, *why]):
        args = parser.parse_args(["adjust", *command])
        assert args.db == str(tmp_path / "x.duckdb"), command
    assert parser.parse_args(["adjust", "list"]).db == str(tmp_path / "x.duckdb")
    assert parser.parse_args(["adjust", "list", "--db", "other.duckdb"]).db == "other.duckdb"

"""`python -m pipelines review|objection|rectify …` end to end in processes, on the hand-made
results file: exit codes (refusals on stderr, exit 2), the objection's id as the last word,
status and listings, and the audit rows. Notice dates are set in the future where the real
clock matters, so no step waits on today's date."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from pipelines.access import audit
from pipelines.evaluation import rectification, review
from tests.evaluation.results import G1, G3, make_results

ROOT = Path(__file__).resolve().parents[2]


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args, "--db", str(db)], cwd=ROOT, env={**os.environ},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_workflow_from_the_command_line(tmp_path, people):
    db = make_results(tmp_path / "warehouse" / "pbi.duckdb")
    refused = _cli(db, "review", "submit", "--period", "2025Q3", "--run", "1", "--by", "approver")
    assert refused.returncode == 2 and "right" in refused.stderr and refused.stdout == ""
    assert _cli(db, "review", "submit", "--period", "2025Q3", "--run", "1", "--by", "admin2").returncode == 0
    same = _cli(db, "review", "approve", "--period", "2025Q3", "--by", "admin2")
    assert same.returncode == 2 and "submitted" in same.stderr
    approved = _cli(db, "review", "approve", "--period", "2025Q3", "--by", "approver", "--notice-days", "3")
    assert approved.returncode == 0 and "公示中" in approved.stdout, approved.stderr
    outside = _cli(db, "objection", "file", "--period", "2025Q3", "--level", "grid", "--unit", G3, "--by", "east",
                   "--text", "异议")  # fmt: skip
    assert outside.returncode == 2 and "scope" in outside.stderr
    filed = _cli(db, "objection", "file", "--period", "2025Q3", "--level", "grid", "--unit", G1, "--by", "east",
                 "--text", "服务记录漏计")  # fmt: skip
    assert filed.returncode == 0, filed.stderr
    number = filed.stdout.split()[-1]
    assert number == "1"
    listed = _cli(db, "objection", "list", "--open")
    assert listed.returncode == 0 and "服务记录漏计" in listed.stdout and "待处理" in listed.stdout
    early = _cli(db, "review", "publish", "--period", "2025Q3", "--by", "admin")
    assert early.returncode == 2 and "notice runs until" in early.stderr
    status = _cli(db, "review", "status")
    assert status.returncode == 0
    line = next(x for x in status.stdout.splitlines() if x.startswith("2025Q3"))
    assert line.split()[:3] == ["2025Q3", "公示中", "1"] and line.split()[7] == "1"  # one open objection
    resolved = _cli(db, "objection", "resolve", number, "--by", "admin", "--reject", "--note", "经核实无误")
    assert resolved.returncode == 0, resolved.stderr
    assert _cli(db, "objection", "list", "--open").stdout.count("\n") == 2  # header and "none"

    # Publication needs the notice over: published here through the API at a set clock.
    after = dt.datetime.combine(review.state(db, "2025Q3").notice_end + dt.timedelta(days=1), dt.time(9))
    review.publish(db, "2025Q3", by="admin", at=after)
    items = _cli(db, "rectify", "list", "--period", "2025Q3")
    assert items.returncode == 0 and "甲网格党支部" in items.stdout and "组织生活落实率" in items.stdout
    first = str(rectification.listing(db, period="2025Q3").set_index("unit_id").loc[G1].item_id)
    evidence = tmp_path / "记录.pdf"
    evidence.write_bytes(b"%PDF proof")
    updated = _cli(db, "rectify", "update", first, "--by", "east", "--measures", "补记", "--status", "已完成",
                   "--evidence", str(evidence))  # fmt: skip
    assert updated.returncode == 0 and "已完成" in updated.stdout, updated.stderr
    assert _cli(db, "rectify", "confirm", first, "--by", "east").returncode == 2
    assert _cli(db, "rectify", "confirm", first, "--by", "admin").returncode == 0
    assert "已销号" in _cli(db, "rectify", "list", "--status", "已销号").stdout
    corrected = _cli(db, "review", "correct", "--period", "2025Q3", "--run", "2", "--by", "admin", "--reason", "更正")
    assert corrected.returncode == 0 and "公示中" in corrected.stdout and review.official(db, "2025Q3") == 2
    assert _cli(db, "review", "withdraw", "--period", "2025Q3", "--by", "admin", "--reason", "撤回").returncode == 0
    assert review.official(db, "2025Q3") == 1
    assert _cli(db, "review", "reject", "--period", "2025Q2", "--by", "approver", "--reason", "r").returncode == 2

    events = audit.read().sort_values("seq")["event"].tolist()
    assert events == [
        "review_submitted", "review_approved", "objection_filed", "objection_resolved", "review_published",
        "rectification_updated", "rectification_confirmed", "review_corrected", "review_withdrawn",
    ]  # fmt: skip

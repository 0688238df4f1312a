"""docs/adjustments.md says what the register does: its commands, states, events and limits."""

from __future__ import annotations

from pathlib import Path

from pipelines.access import audit
from pipelines.evaluation import adjustments, cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "adjustments.md"


def test_the_doc_names_every_command_state_event_and_limit():
    text = DOC.read_text(encoding="utf-8")
    for command in ("add", "approve", "reject", "revoke", "list"):
        assert f"python -m pipelines adjust {command}" in text, command
    for state in adjustments.STATES:
        assert state in text, state
    for event in (e for e in audit.EVENTS if e.startswith(("adjustment_", "evidence_"))):
        assert f"`{event}`" in text, event
    assert ", ".join(cli.HEADERS) in text
    assert f"{adjustments.MAX_EVIDENCE_BYTES // 2**20} MB" in text
    assert f"at most {adjustments.MAX_REASON} characters" in text
    assert f"above {adjustments.MAX_POINTS}" in text


def test_the_access_doc_names_the_approve_right():
    text = (DOC.parent / "access.md").read_text(encoding="utf-8")
    assert "[--approve]" in text and "`approve`" in text and "| approver | 市级 |" in text

"""The documents say what the code does."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_contract_doc_lists_every_reason_as_configured():
    reasons = tomllib.loads((ROOT / "pipelines/config/reasons.toml").read_text(encoding="utf-8"))
    doc = (ROOT / "docs/data-contract.md").read_text(encoding="utf-8")
    for rule, text in reasons.items():
        assert f"| `{rule}` | {text['zh']} | {text['en']} |" in doc, rule


def test_contract_doc_names_every_header_and_alias():
    contract = tomllib.loads((ROOT / "pipelines/config/contract.toml").read_text(encoding="utf-8"))
    doc = (ROOT / "docs/data-contract.md").read_text(encoding="utf-8")
    for kind in contract["kinds"].values():
        for column in kind["columns"].values():
            for header in (column["header"], *column.get("aliases", [])):
                assert header in doc, header
            for value in column.get("values", []):
                assert value in doc, value


def test_meeting_pack_doc_names_every_sheet_and_ranking_header():
    from pipelines.report import workbook

    doc = (ROOT / "docs/meeting-pack.md").read_text(encoding="utf-8")
    for sheet in ("封面", "排名", "红榜", "黑榜", "黄牌", "整改清单", "先锋党员", "方法说明"):
        assert f"| {sheet}" in doc, sheet
    for header, *_ in workbook.RANKING:
        assert header in doc, header


def test_architecture_doc_names_only_paths_that_exist():
    """docs/architecture.md says where each rule lives: every code path it names is there (a
    placeholder such as KIND or `*` stands for several files, of which one must exist)."""
    import re

    doc = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:pipelines|dashboard|bench|tests|docs)/[^`\s]*)`", doc))
    assert len(named) > 20
    for path in sorted(named):
        path = path.split("::")[0].rstrip("/")
        pattern = re.sub(r"\{[^}]*\}|<[^>]*>|KIND|\*", "*", path)
        assert list(ROOT.glob(pattern)), path

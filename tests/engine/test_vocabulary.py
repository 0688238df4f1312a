"""One home for the vocabulary (pipelines/vocabulary.py): the levels, the index codes, the list
and card labels and the meeting types are written there once; the engine's SQL, the meeting
pack and the dashboard take them from it."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines import vocabulary as V
from pipelines.engine.compute import SQL, mart_parameters
from pipelines.engine.methodology import load
from pipelines.load import contract
from pipelines.report import labels

ROOT = Path(__file__).resolve().parents[2]
# Copies the vocabulary replaced; none may come back (UI text in dashboard/i18n.py is not a copy).
COPIES = {
    "levels": re.compile(r"""["']grid["'],\s*["']community["'],\s*["']street["'],\s*["']district["']"""),
    "indices": re.compile(r"""["']fortress["'],\s*["']vanguard["'],\s*["']service["']"""),
    "list and card labels": re.compile(r"""["'](红榜|黑榜|黄牌)["']"""),
}
NOT_COPIES = {Path("pipelines/vocabulary.py"), Path("dashboard/i18n.py")}


def test_no_copy_of_the_vocabulary_in_the_product():
    found = []
    for folder in ("pipelines", "dashboard"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".sql") or path.relative_to(ROOT) in NOT_COPIES:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                found += [f"{path.relative_to(ROOT)}:{n}: {what}" for what, rx in COPIES.items() if rx.search(line)]
    assert found == []


def test_the_engine_writes_the_vocabulary_s_list_labels():
    template = (SQL / "mart_unit_scores.sql").read_text(encoding="utf-8")
    assert "{red_list}" in template and "{black_list}" in template
    sql = template.format(graded="int_graded_scores", **mart_parameters(load()))
    assert f"THEN '{V.RED_LIST}'" in sql and f"THEN '{V.BLACK_LIST}' END AS list" in sql


def test_meeting_types_come_from_the_contract():
    kinds = contract.load(contract.DEFAULT)
    assert kinds["meetings"].columns["meeting_type"].values == V.MEETING_TYPES
    assert {k for k, _ in load().parameters.required_meetings} <= set(V.MEETING_TYPES)


def test_the_pack_s_words_cover_the_vocabulary():
    assert tuple(labels.LEVEL_NAMES) == V.LEVELS
    assert tuple(labels.SCORES) == V.SCORES == (V.COMPOSITE, *V.INDICES)
    assert tuple(labels.LIST_COLOURS) == V.LISTS


def test_the_methodology_s_indices_are_the_marts():
    assert tuple(i.code for i in load().indices) == V.INDICES

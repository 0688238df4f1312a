"""The meeting pack's 双报到 sheet and slide and its task-completion column (F6), over the
hand-made reporting organisations of tests/dashboard/points_data.py: ranked by 人均 with the
unranked last and said so, the scope's organisations only, F6 as a share in the ranking; and a
run without 正能量值 or F6 (computed before v1.2) laid out exactly as before."""

from __future__ import annotations

import dataclasses
import io
import shutil

import duckdb
import openpyxl
import pytest
from pptx import Presentation

from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.report import deck, pack, workbook
from tests.dashboard.points_data import CITY_ORDER, HOME_ORDER, ORGS, PERIOD, add_points

SHEET, SLIDE = "双报到", "双报到 · 报到单位人均正能量值"


@pytest.fixture(scope="module")
def city(two_districts, tmp_path_factory) -> dict:
    info = add_points(two_districts, tmp_path_factory.mktemp("points_pack"))
    with duckdb.connect(str(scores_path(info["db"]))) as con:
        con.execute("ALTER TABLE indicator_scores ADD COLUMN IF NOT EXISTS F6 DOUBLE")
        con.execute("ALTER TABLE indicator_scores ADD COLUMN IF NOT EXISTS F6_score DOUBLE")
        con.execute(
            "UPDATE indicator_scores SET F6 = 0.25 WHERE level = 'grid' AND unit_id = ? AND period = ?",
            [info["task_grid"], PERIOD],
        )
    return info


def _pack(db, scope: str = "") -> pack.Pack:
    with connect_read(db) as con:
        return pack.build(con, PERIOD, "grid", scope)


def _sheet_rows(xlsx: bytes, name: str) -> list[dict]:
    ws = openpyxl.load_workbook(io.BytesIO(xlsx))[name]
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] in ("全市排名", "排名"))  # under the caption, if any
    return [dict(zip(rows[top], r, strict=True)) for r in rows[top + 1 :]]


def _slides(pptx: bytes) -> list[str]:
    return [
        "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        for slide in Presentation(io.BytesIO(pptx)).slides
    ]


def test_the_sheet_ranks_by_points_per_member_unranked_last(city):
    p = _pack(city["db"])
    rows = _sheet_rows(workbook.render(p), SHEET)
    assert [r["报到单位"] for r in rows] == [ORGS[o][0] for o in CITY_ORDER]
    assert [r["人均正能量值"] for r in rows] == [40.0, 30.0, 20.0, 50.0]
    assert [r["全市排名"] for r in rows] == [1, 2, 3, "未排名（报到党员不足 3 人）"]
    assert [r["区县排名"] for r in rows] == [1, 1, 2, None]
    assert [r["报到党员"] for r in rows] == [3, 4, 3, 2]


def test_the_slide_lists_the_top_organisations(city):
    p = _pack(city["db"])
    table = next(
        shape.table
        for s in Presentation(io.BytesIO(deck.render(p))).slides
        for shape in s.shapes
        if shape.has_table and SLIDE in "\n".join(x.text_frame.text for x in s.shapes if x.has_text_frame)
    )
    names = [table.cell(r, 2).text for r in range(1, len(table.rows))]
    assert names == [ORGS[o][0] for o in CITY_ORDER]
    assert [table.cell(r, 7).text for r in range(1, len(table.rows))] == ["40.0", "30.0", "20.0", "50.0"]
    assert table.cell(4, 0).text == "未排名（报到党员不足 3 人）"


def test_a_scoped_pack_holds_only_the_scopes_organisations(city):
    p = _pack(city["db"], city["districts"][0])
    rows = _sheet_rows(workbook.render(p), SHEET)
    assert [r["报到单位"] for r in rows] == [ORGS[o][0] for o in HOME_ORDER]


def test_the_ranking_shows_task_completion(city):
    p = _pack(city["db"])
    rows = {r["单位编码"]: r for r in _sheet_rows(workbook.render(p), "排名")}
    assert list(rows[city["task_grid"]])[-1] == "任务完成率"  # the last column: the others keep their places
    assert rows[city["task_grid"]]["任务完成率"] == pytest.approx(0.25)
    # The other grids: their own F6 as computed (the demo city's task lists), blank where missing.
    with connect_read(city["db"]) as con:
        f6 = dict(
            con.execute(
                "SELECT unit_id, F6 FROM indicator_scores WHERE level = 'grid' AND period = ? "
                "AND run_id = (SELECT max(run_id) FROM runs)",
                [PERIOD],
            ).fetchall()
        )
    others = {u: r["任务完成率"] for u, r in rows.items() if u != city["task_grid"]}
    assert others and all((v is None) if f6[u] is None else v == pytest.approx(f6[u]) for u, v in others.items()), (
        others
    )


def test_a_run_without_points_or_f6_is_laid_out_as_before(city, tmp_path):
    shutil.copytree(city["db"].parent, tmp_path, dirs_exist_ok=True)
    db = tmp_path / city["db"].name
    with duckdb.connect(str(scores_path(db))) as con:
        con.execute("DROP TABLE org_points")
        con.execute("DROP TABLE member_points")
        con.execute("ALTER TABLE indicator_scores DROP COLUMN F6_score")
        con.execute("ALTER TABLE indicator_scores DROP COLUMN F6")
    p = _pack(db)
    assert p.reporting_orgs is None and not p.task_completion
    xlsx = workbook.render(p)
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert SHEET not in book.sheetnames
    assert "任务完成率" not in [c.value for c in book["排名"][1]]
    assert not [s for s in _slides(deck.render(p)) if s.startswith(SLIDE)]


def test_a_scope_without_organisations_says_so_in_one_line(city):
    """A v1.2 run whose scope holds no reporting organisation: the sheet and the slide say so."""
    with connect_read(city["db"]) as con:
        p = pack.build(con, PERIOD, "grid", city["districts"][0])
    empty = p.reporting_orgs.iloc[0:0]
    p = dataclasses.replace(p, reporting_orgs=empty)
    ws = openpyxl.load_workbook(io.BytesIO(workbook.render(p)))[SHEET]
    assert ws.max_row == 1 and "没有报到单位党组织" in ws["A1"].value
    slide = next(s for s in _slides(deck.render(p)) if s.startswith(SLIDE))
    assert "没有报到单位党组织" in slide

"""The annual meeting pack (年度考评, methodology v1.1) and a quarter's adjustments, opened with
openpyxl and python-pptx and checked against the marts (read here with plain SQL): the ranking's
composite before and after adjustment, the 加减分 sheet and slide, each unit's four quarters, the
quota note with and without [quotas], the year-to-date mark (年度累计), and a quarter without
adjustments laid out exactly as before v1.1.

One warehouse, three runs: 1 plain, 2 with adjustments (two on the year, a veto on 2025Q4),
3 with [quotas] computed while 2025 was still running."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

from pipelines.cli import main
from pipelines.engine.compute import compute
from pipelines.engine.methodology import DEFAULT, parse
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import connect_read
from tests.report.test_pack import RANKING_HEADERS, _rows, _slide_text

YEAR = "2025"
WHEN = pd.Timestamp("2026-01-05 10:00")
QUARTER_SHEETS = ["封面", "排名", "红榜", "黑榜", "黄牌", "整改清单", "上期整改情况", "先锋党员", "方法说明"]
QUARTER_SLIDES = [
    "网格党建指数季度考评",
    "总体情况",
    "网格综合指数排名（颜色为等级）",
    "综合指数地图",
    "全市各季度指数走势",
    "红榜与黑榜",
]


def _entry(n: int, unit: str, period: str, kind: str, points: float, reason: str, evidence: str | None) -> dict:
    return {
        "adjustment_id": n,
        "level": "grid",
        "unit_id": unit,
        "period": period,
        "kind": kind,
        "points": points,
        "reason": reason,
        "evidence_name": evidence,
        "evidence_sha256": None if evidence is None else f"{n:02d}" * 32,
        "entered_by": "录入员甲",
        "entered_at": WHEN,
        "approved_by": "审批人乙",
        "approved_at": WHEN,
    }


@pytest.fixture(scope="module")
def cycle(small_default, tmp_path_factory) -> dict:
    from pipelines.load.batch import load

    db = tmp_path_factory.mktemp("annual") / "pbi.duckdb"
    load([small_default], db)
    m = load_methodology()
    after = dt.date(2026, 1, 10)
    plain = compute(db, m, adjustments=None, as_of=after)
    with connect_read(db) as con:
        ranked = con.execute(
            "SELECT unit_id FROM unit_scores WHERE run_id = ? AND period = ? AND level = 'grid' "
            "AND composite BETWEEN 30 AND 90 ORDER BY composite_rank LIMIT 3",
            [plain, YEAR],
        ).fetchall()
    bonus, deduction, vetoed = (r[0] for r in ranked)
    entries = pd.DataFrame(
        [
            _entry(1, bonus, YEAR, "加分", 3.0, "获评市级先进基层党组织", "表彰文件.pdf"),
            _entry(2, deduction, YEAR, "扣分", -4.0, "发生安全责任事故", None),
            _entry(3, vetoed, f"{YEAR}Q4", "一票否决", 0.0, "严重违纪", "通报.docx"),
        ]
    )
    adjusted = compute(db, m, adjustments=entries, as_of=after)
    quotas = parse(m.text + '\n[quotas]\n"较好" = 0.2\n', DEFAULT)
    running = compute(db, quotas, adjustments=None, as_of=dt.date(2025, 11, 15))
    return {
        "db": db,
        "plain": plain,
        "adjusted": adjusted,
        "running": running,
        "bonus": bonus,
        "deduction": deduction,
        "vetoed": vetoed,
    }


def _report(c: dict, run: str, period: str, out: Path) -> tuple[Path, Path]:
    args = ["report", "--db", str(c["db"]), "--run", str(c[run]), "--period", period, "--level", "grid"]
    assert main([*args, "--out", str(out)]) == 0
    return next(out.glob("*.xlsx")), next(out.glob("*.pptx"))


def _marts(c: dict, sql: str, params: list) -> pd.DataFrame:
    with connect_read(c["db"]) as con:
        return con.execute(sql, params).df()


def _cover(wb) -> dict:
    return {row[0]: row[1] for row in wb["封面"].iter_rows(min_row=2, values_only=True) if row[0]}


def _slides(pptx: Path) -> list[str]:
    return _slide_text(Presentation(pptx))


@pytest.fixture(scope="module")
def annual(cycle, tmp_path_factory) -> tuple[Path, Path]:
    return _report(cycle, "adjusted", YEAR, tmp_path_factory.mktemp("annual_pack"))


def test_annual_file_names_and_cover(cycle, annual):
    xlsx, pptx = annual
    assert xlsx.name == f"党建指数_2025年度考评_网格_全市_运行{cycle['adjusted']}.xlsx"
    assert pptx.stem == xlsx.stem
    wb = openpyxl.load_workbook(xlsx)
    expected = ["封面", "排名", "加减分", "分季度", "等级", *QUARTER_SHEETS[2:]]
    assert wb.sheetnames[: len(expected)] == expected
    assert not [n for n in wb.sheetnames if n.startswith("卡")]  # indicators are scored per quarter only
    cover = _cover(wb)
    assert cover["年度"] == "2025年度考评"
    assert cover["年度状态"].startswith("完整年度")
    assert cover["加减分"].startswith("2 项生效（加分 1 项、扣分 1 项）")
    assert cover["运行编号"].startswith(f"#{cycle['adjusted']}（计算于 ")
    assert "本方法未设等级名额" in cover["名额控制"]
    assert wb["封面"]["A1"].value == "全市 · 2025年度考评 · 网格党建指数"
    slides = _slides(pptx)
    assert "网格党建指数年度考评" in slides[0] and "全市 · 2025年度考评" in slides[0]
    assert "年度累计" not in "\n".join(slides)


def test_annual_ranking_shows_the_composite_before_and_after(cycle, annual):
    xlsx, _ = annual
    rows = _rows(openpyxl.load_workbook(xlsx)["排名"])
    at = RANKING_HEADERS.index("综合指数") + 1
    assert list(rows[0]) == [*RANKING_HEADERS[:at], "调整前综合", "加减分", "一票否决", *RANKING_HEADERS[at:]]
    marts = _marts(
        cycle,
        "SELECT unit_id, composite, composite_raw, adjustment, composite_rank, grade FROM unit_scores "
        "WHERE run_id = ? AND period = ? AND level = 'grid'",
        [cycle["adjusted"], YEAR],
    ).set_index("unit_id")
    by_unit = {r["单位编码"]: r for r in rows}
    for unit, points in ((cycle["bonus"], 3.0), (cycle["deduction"], -4.0)):
        row, want = by_unit[unit], marts.loc[unit]
        assert row["加减分"] == pytest.approx(points) == pytest.approx(want["adjustment"])
        assert row["调整前综合"] == pytest.approx(want["composite_raw"])
        assert row["综合指数"] == pytest.approx(want["composite"]) == pytest.approx(want["composite_raw"] + points)
        assert row["排名"] == int(want["composite_rank"]) and row["等级"] == want["grade"]
    untouched = next(r for u, r in by_unit.items() if u not in (cycle["bonus"], cycle["deduction"]))
    assert untouched["加减分"] == 0 and untouched["调整前综合"] == pytest.approx(untouched["综合指数"])
    # The quarter's veto belongs to the quarter: nobody is vetoed in the year.
    assert not [r for r in rows if r["一票否决"]]


def test_annual_adjustments_sheet_and_slide(cycle, annual):
    xlsx, pptx = annual
    rows = _rows(openpyxl.load_workbook(xlsx)["加减分"], header_row=2)
    entries = [r for r in rows if isinstance(r["序号"], int)]
    assert [(r["单位编码"], r["类型"], r["分值"]) for r in entries] == sorted(
        [(cycle["bonus"], "加分", 3), (cycle["deduction"], "扣分", -4)],
        key=lambda e: _rank(cycle, e[0]),
    )
    bonus = next(r for r in entries if r["类型"] == "加分")
    assert bonus["事由"] == "获评市级先进基层党组织"
    assert bonus["佐证材料"] == "表彰文件.pdf" and bonus["佐证 SHA-256（前12位）"] == "01" * 6
    assert bonus["录入人"] == "录入员甲" and bonus["审批人"] == "审批人乙"
    assert bonus["审批时间"] == "2026年1月5日 10:00"
    deduction = next(r for r in entries if r["类型"] == "扣分")
    assert deduction["佐证材料"] == "—" and deduction["佐证 SHA-256（前12位）"] == "—"
    slide = next(s for s in _slides(pptx) if s.startswith("加减分（2 项）"))
    assert "获评市级先进基层党组织" in slide and "+3" in slide and "-4" in slide
    assert "表彰文件.pdf（010101010101）" in slide and "录入员甲 / 审批人乙" in slide
    assert "严重违纪" not in slide  # the quarter's veto is not the year's


def _rank(c: dict, unit: str) -> int:
    return int(
        _marts(
            c,
            "SELECT composite_rank FROM unit_scores WHERE run_id = ? AND period = ? AND level = 'grid' AND unit_id = ?",
            [c["adjusted"], YEAR, unit],
        ).iloc[0, 0]
    )


def test_annual_four_quarters_beside_the_year(cycle, annual):
    xlsx, pptx = annual
    rows = _rows(openpyxl.load_workbook(xlsx)["分季度"], header_row=2)
    quarters = ["第一季度综合", "第二季度综合", "第三季度综合", "第四季度综合"]
    assert list(rows[0])[3:10] == [*quarters, "年度调整前综合", "年度加减分", "年度综合指数"]
    marts = _marts(
        cycle,
        "SELECT unit_id, period, composite FROM unit_scores WHERE run_id = ? AND level = 'grid' AND period LIKE ?",
        [cycle["adjusted"], f"{YEAR}%"],
    )
    wide = marts.pivot(index="unit_id", columns="period", values="composite")
    for row in (rows[0], next(r for r in rows if r["单位编码"] == cycle["bonus"])):
        unit = row["单位编码"]
        for n, header in enumerate(quarters, start=1):
            want = wide.loc[unit, f"{YEAR}Q{n}"]
            assert (row[header] is None) if pd.isna(want) else row[header] == pytest.approx(want)
        assert row["年度综合指数"] == pytest.approx(wide.loc[unit, YEAR])
    assert len(rows) == len(wide)
    slide = next(s for s in _slides(pptx) if s.startswith("各季度与2025年度考评综合指数"))
    assert all(q in slide for q in ("第一季度", "第二季度", "第三季度", "第四季度", "年度综合"))


def test_year_to_date_and_quota_note(cycle, tmp_path):
    xlsx, pptx = _report(cycle, "running", YEAR, tmp_path)
    assert xlsx.name == f"党建指数_2025年度累计_网格_全市_运行{cycle['running']}.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    cover = _cover(wb)
    assert cover["年度"] == "2025年度累计"
    assert cover["年度状态"].startswith("年度累计：") and "不是年度考评结论" in cover["年度状态"]
    assert "2025年度累计" in wb["排名"].oddHeader.left.text  # every printed page carries the mark
    slides = _slides(pptx)
    assert "网格党建指数年度累计" in slides[0] and "不是年度考评结论" in slides[0]
    assert all("2025年度累计" in s for s in slides)
    # [quotas] 较好 = 0.2: the note names the grade, its share and the cap over the level's ranked units.
    ranked = _marts(
        cycle,
        "SELECT count(composite_rank) AS n FROM unit_scores WHERE run_id = ? AND period = ? AND level = 'grid'",
        [cycle["running"], YEAR],
    )["n"].iloc[0]
    cap = math.ceil(0.2 * ranked)
    assert f"“较好”不超过参与排名单位的 20%（本期最多 {cap} 个）" in cover["名额控制"]
    grades = {r["等级"]: r for r in _rows(wb["等级"], header_row=2) if r["等级"] and r["单位数（范围内）"] is not None}
    assert grades["较好"]["名额比例"] == "20%" and grades["较好"]["名额上限（全层级）"] == cap
    assert grades["好"]["名额比例"] == "不限" and grades["好"]["名额上限（全层级）"] is None
    assert grades["较好"]["单位数（范围内）"] <= cap
    assert any("“较好”不超过参与排名单位的 20%" in s for s in slides)
    # No adjustments in this run: the sheet and the slide say so.
    entries = _rows(wb["加减分"], header_row=2)
    assert not [r for r in entries if isinstance(r["序号"], int)]
    assert any(str(r["序号"]).startswith("无：") for r in entries)
    assert any(s.startswith("加减分（0 项）") and "无：" in s for s in slides)


def test_quarter_with_a_veto_shows_its_adjustments(cycle, tmp_path):
    xlsx, pptx = _report(cycle, "adjusted", f"{YEAR}Q4", tmp_path)
    assert xlsx.name == f"党建指数考评_2025Q4_网格_全市_运行{cycle['adjusted']}.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[:3] == ["封面", "排名", "加减分"] and "分季度" not in wb.sheetnames
    vetoed = next(r for r in _rows(wb["排名"]) if r["单位编码"] == cycle["vetoed"])
    assert vetoed["一票否决"] == "一票否决" and vetoed["等级"] == "较差" and vetoed["榜单"] != "红榜"
    assert vetoed["加减分"] == 0 and vetoed["调整前综合"] == pytest.approx(vetoed["综合指数"])
    entries = [r for r in _rows(wb["加减分"], header_row=2) if isinstance(r["序号"], int)]
    assert [(r["单位编码"], r["类型"], r["事由"]) for r in entries] == [(cycle["vetoed"], "一票否决", "严重违纪")]
    assert _cover(wb)["加减分"].startswith("1 项生效（一票否决 1 项）")
    assert any(s.startswith("加减分（1 项）") and "严重违纪" in s for s in _slides(pptx))


def test_quarter_without_adjustments_is_laid_out_as_before(cycle, tmp_path):
    xlsx, pptx = _report(cycle, "adjusted", f"{YEAR}Q1", tmp_path)
    assert xlsx.name == f"党建指数考评_2025Q1_网格_全市_运行{cycle['adjusted']}.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[: len(QUARTER_SHEETS)] == QUARTER_SHEETS
    rest = wb.sheetnames[len(QUARTER_SHEETS) :]  # a v1.2 run: 双报到 before the scorecards
    assert rest[0] == "双报到" and all(n.startswith("卡") for n in rest[1:])
    assert [c.value for c in wb["排名"][1]] == [*RANKING_HEADERS, "任务完成率"]  # v1.2: F6 last
    cover = _cover(wb)
    assert cover["季度"] == "2025年第一季度" and "加减分" not in cover and "名额控制" not in cover
    slides = _slides(pptx)
    assert [s.split("\n")[0] for s in slides[: len(QUARTER_SLIDES)]] == QUARTER_SLIDES
    assert not [s for s in slides if s.startswith(("加减分", "各季度与"))]
    text = "\n".join(slides)
    assert "上季" in text and "本年" not in text and "名额控制" not in text

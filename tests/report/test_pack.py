"""`python -m pipelines report`: the meeting pack's workbook opened with openpyxl and its deck
with python-pptx, checked against the published marts (read here with plain SQL, not through
the report's own code) — sheets, headers, formats, ranks, lists, the rectification list and
its weakest indicators (recomputed by hand from the methodology's weights), masking, the run
id on every page, native charts, the map picture and its fallback, scope, audit and refusals."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE

from pipelines.access import audit
from pipelines.cli import main
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import connect_read
from pipelines.report import deck, pack, workbook

PERIOD = "2025Q4"
MASKED = re.compile(r"^[\u4e00-\u9fff]\*+[\u4e00-\u9fff]?$")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9A-Za-z*])1\d{10}(?![0-9A-Za-z*])")
RANKING_HEADERS = [
    "排名",
    "单位编码",
    "单位",
    "综合指数",
    "堡垒指数",
    "先锋指数",
    "服务指数",
    "等级",
    "排名变化",
    "排名区间",
    "榜单",
    "黄牌",
]


def _marts(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute(sql, params or []).df()


def _scores(db: Path, columns: str, level: str = "grid", rest: str = "") -> pd.DataFrame:
    """`columns` of the level's units in the tested quarter of the latest run (`rest`: more
    conditions, order, limit)."""
    return _marts(
        db,
        f"SELECT {columns} FROM unit_scores WHERE run_id = ? AND period = ? AND level = ? {rest}",
        [_latest(db), PERIOD, level],
    )


def _latest(db: Path) -> int:
    return int(_marts(db, "SELECT max(run_id) AS r FROM runs")["r"].iloc[0])


def _report(db: Path, out: Path, *args: str) -> tuple[Path, Path]:
    assert main(["report", "--db", str(db), "--period", PERIOD, "--out", str(out), *args]) == 0
    xlsx, pptx = sorted(out.glob("*.xlsx")), sorted(out.glob("*.pptx"))
    assert len(xlsx) == 1 and len(pptx) == 1
    return xlsx[0], pptx[0]


def _rows(ws, header_row: int = 1) -> list[dict]:
    """A sheet's table as dicts by header (the header on `header_row`, a caption above it)."""
    header = [c.value for c in ws[header_row]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=header_row + 1)]


def _slide_text(prs) -> list[str]:
    out = []
    for slide in prs.slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts.extend(c.text for row in shape.table.rows for c in row.cells)
        out.append("\n".join(parts))
    return out


def _all_cells(wb) -> list[str]:
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.fixture(scope="module")
def community_pack(published_demo, tmp_path_factory) -> tuple[Path, Path, Path]:
    out = tmp_path_factory.mktemp("report_community")
    xlsx, pptx = _report(published_demo, out, "--level", "grid")
    return published_demo, xlsx, pptx


def test_workbook_sheets_headers_and_formats(community_pack):
    db, xlsx, _ = community_pack
    wb = openpyxl.load_workbook(xlsx)
    units = _scores(db, "count(*) AS n")["n"].iloc[0]
    fixed = ["封面", "排名", "红榜", "黑榜", "黄牌", "整改清单", "上期整改情况", "先锋党员", "方法说明"]
    assert wb.sheetnames[: len(fixed)] == fixed
    cards = [n for n in wb.sheetnames if n.startswith("卡")]
    assert len(cards) == min(30, units)  # the default number of scorecards
    ranking = wb["排名"]
    headers = [c.value for c in ranking[1]]
    # A run that scored F6 (methodology v1.2) adds 任务完成率 as the last column, nothing else moves.
    n = len(RANKING_HEADERS)
    assert headers[:n] == RANKING_HEADERS and headers[n:] in ([], ["任务完成率"])
    assert ranking.freeze_panes == "A2"
    assert ranking.auto_filter.ref.startswith("A1:" + "LM"[len(headers) - n])
    assert ranking.max_row == units + 1
    assert ranking["D2"].number_format == "0.0" and isinstance(ranking["D2"].value, float)
    assert ranking["I2"].number_format == '"↑"0;"↓"0;"="'
    # Grades (H) and bands (K, L) are coloured by conditional formats: they survive a re-sort.
    ranges = {str(r.sqref): [rule.formula[0] for rule in r.rules] for r in ranking.conditional_formatting}
    grade_rules = next(v for k, v in ranges.items() if k.startswith("H2:H"))
    assert {'"好"', '"较好"', '"一般"', '"较差"'} <= set(grade_rules)
    assert any(k.startswith("K2:K") and '"黑榜"' in v for k, v in ranges.items())
    assert any(k.startswith("L2:L") and '"黄牌"' in v for k, v in ranges.items())


def test_ranking_sheet_equals_the_marts(community_pack):
    db, xlsx, _ = community_pack
    expected = _scores(
        db,
        "unit_id, composite_rank, composite, fortress, grade, rank_change, list, yellow_card, rank_q05, rank_q95",
        rest="ORDER BY composite_rank NULLS LAST, unit_id",
    )
    rows = _rows(openpyxl.load_workbook(xlsx)["排名"])
    assert [r["单位编码"] for r in rows] == expected["unit_id"].tolist()
    for row, (_, e) in zip(rows, expected.iterrows(), strict=True):
        assert row["排名"] == (None if pd.isna(e["composite_rank"]) else int(e["composite_rank"]))
        assert row["综合指数"] == pytest.approx(e["composite"]) if pd.notna(e["composite"]) else row["综合指数"] is None
        assert row["堡垒指数"] == pytest.approx(e["fortress"]) if pd.notna(e["fortress"]) else True
        assert row["等级"] == (e["grade"] if isinstance(e["grade"], str) else "—")
        assert row["排名变化"] == (None if pd.isna(e["rank_change"]) else int(e["rank_change"]))
        assert (row["榜单"] or "") == (e["list"] if isinstance(e["list"], str) else "")
        assert (row["黄牌"] == "黄牌") == bool(e["yellow_card"])
        if pd.notna(e["rank_q05"]):
            lo, hi = int(e["rank_q05"]), int(e["rank_q95"])
            assert row["排名区间"] == (str(lo) if lo == hi else f"{lo}–{hi}")


def test_lists_and_yellow_cards_equal_the_marts(community_pack):
    db, xlsx, _ = community_pack
    wb = openpyxl.load_workbook(xlsx)
    marts = _scores(db, "unit_id, list, yellow_card")
    for sheet in ("红榜", "黑榜"):
        listed = {r["单位编码"] for r in _rows(wb[sheet])}
        assert listed == set(marts.loc[marts["list"] == sheet, "unit_id"])
        assert listed  # the demo city has ranked enough grids for both lists
    assert {r["单位编码"] for r in _rows(wb["黄牌"])} == set(marts.loc[marts["yellow_card"], "unit_id"])


def _expected_rectification(db: Path, level: str, scope: str = "") -> pd.DataFrame:
    """The rule, written out in SQL: graded 较差, on the black list, or with a yellow card."""
    return _marts(
        db,
        """SELECT u.unit_id FROM unit_scores u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
           WHERE u.run_id = ? AND u.period = ? AND u.level = ?
             AND (u.grade = '较差' OR u.list = '黑榜' OR u.yellow_card)
             AND (? = '' OR starts_with(CASE WHEN u.level = 'grid'
                  THEN concat_ws('/', g.district, g.street, g.community) ELSE u.unit_id END || '/', ? || '/'))
           ORDER BY u.composite_rank, u.unit_id""",
        [_latest(db), PERIOD, level, scope, scope],
    )


def _lost_points(db: Path, unit_id: str, level: str = "grid") -> list[tuple[str, float]]:
    """Points each indicator loses the composite, by hand: with every indicator present,
    lost_i = (w_i / Σ w of its index) × (1/3) × (100 − score_i); largest first."""
    m = load_methodology()
    row = _marts(
        db,
        "SELECT * FROM indicator_scores WHERE run_id = ? AND period = ? AND level = ? AND unit_id = ?",
        [_latest(db), PERIOD, level, unit_id],
    ).iloc[0]
    out = []
    for index in ("fortress", "vanguard", "service"):
        indicators = [i for i in m.indicators_of(index) if pd.notna(row[f"{i.code}_score"])]
        total = sum(float(i.weight) for i in indicators)
        for i in indicators:
            out.append((i.code, float(i.weight) / total / 3 * (100 - row[f"{i.code}_score"])))
    return sorted((x for x in out if x[1] > 1e-9), key=lambda x: (-x[1], x[0]))


def test_rectification_list_is_exactly_the_units_the_rules_select(community_pack):
    db, xlsx, _ = community_pack
    rows = _rows(openpyxl.load_workbook(xlsx)["整改清单"])
    expected = _expected_rectification(db, "grid")
    assert len(expected) > 0
    names = _marts(db, "SELECT grid_id, grid_name FROM grids").set_index("grid_id")["grid_name"]
    assert [r["单位"] for r in rows] == [names[u] for u in expected["unit_id"]]
    assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))
    branches = _marts(db, "SELECT grid_id, org_name FROM orgs WHERE org_type = '网格党支部'").set_index("grid_id")
    header = [c.value for c in openpyxl.load_workbook(xlsx)["整改清单"][1]]
    assert header[:10] == [
        "序号",
        "单位",
        "排名",
        "综合指数",
        "等级",
        "入选原因",
        "薄弱指标一",
        "现值一",
        "目标区间一",
        "失分一",
    ]
    for row, unit in zip(rows, expected["unit_id"], strict=True):
        lost = _lost_points(db, unit)
        first, second = lost[0], lost[1]
        assert row["薄弱指标一"].split()[0] == first[0]
        assert row["失分一"] == pytest.approx(first[1], abs=1e-9)
        assert row["失分二"] == pytest.approx(second[1], abs=1e-9)
        assert row["薄弱指标二"].split()[0] == second[0]
        assert row["责任组织"] == branches.loc[unit, "org_name"]
        assert row["整改措施"] is None or row["整改措施"] == ""  # left for the office to fill in


def test_rectification_reasons_and_goalposts(published_demo):
    with connect_read(published_demo) as con:
        p = pack.build(con, PERIOD, "grid")
    m = load_methodology()
    goalposts = {i.code: (float(i.lo), float(i.hi)) for i in m.indicators}
    for r in p.rectification.to_dict("records"):
        reasons = set(r["reasons"].split("、"))
        assert ("较差" in reasons) == (r["grade"] == "较差")
        assert ("黑榜" in reasons) == (r["list"] == "黑榜")
        assert ("黄牌" in reasons) == bool(r["yellow_card"])
        for w in r["weakest"]:
            assert (w["lo"], w["hi"]) == goalposts[w["code"]]


def test_community_level_organisation_is_the_community_committee(published_demo, tmp_path):
    with connect_read(published_demo) as con:
        p = pack.build(con, PERIOD, "community")
        committees = (
            con.execute(
                """SELECT DISTINCT concat_ws('/', g.district, g.street, g.community) AS unit_id, c.org_name
               FROM orgs b JOIN grids g USING (grid_id) JOIN orgs c ON c.org_id = b.parent_org_id
               WHERE b.org_type = '网格党支部' AND c.org_type = '社区党委'"""
            )
            .df()
            .set_index("unit_id")["org_name"]
        )
    for r in p.rectification.to_dict("records"):
        assert r["organisation"] == committees[r["unit_id"]]
    assert (
        p.rectification["unit_id"].tolist() == _expected_rectification(published_demo, "community")["unit_id"].tolist()
    )


def test_scorecards_hold_values_and_contributions_that_add_up(community_pack):
    db, xlsx, _ = community_pack
    wb = openpyxl.load_workbook(xlsx)
    first = wb[next(n for n in wb.sheetnames if n.startswith("卡01"))]
    top = _scores(db, "unit_id, unit_name, composite", rest="ORDER BY composite_rank NULLS LAST, unit_id LIMIT 1").iloc[
        0
    ]
    assert top["unit_name"] in first.title
    assert top["unit_id"] in first["A1"].value
    header_row = next(r for r in range(1, 12) if first.cell(r, 1).value == "指数")
    headers = [c.value for c in first[header_row]]
    assert headers == [
        "指数",
        "代码",
        "指标",
        "现值",
        "目标区间",
        "得分（0–100）",
        "指数内权重",
        "贡献（分）",
        "失分（可提升）",
    ]
    rows = [dict(zip(headers, (c.value for c in row), strict=True)) for row in first.iter_rows(min_row=header_row + 1)]
    assert [r["代码"] for r in rows] == [i.code for i in load_methodology().indicators]
    # Contributions add up to the published composite; the points lost to 100 minus it.
    assert sum(r["贡献（分）"] for r in rows) == pytest.approx(top["composite"], abs=1e-6)
    assert sum(r["失分（可提升）"] for r in rows) == pytest.approx(100 - top["composite"], abs=1e-6)


def test_scorecard_limit(published_demo, tmp_path):
    xlsx, _ = _report(published_demo, tmp_path / "five", "--level", "grid", "--scorecards", "5")
    assert len([n for n in openpyxl.load_workbook(xlsx).sheetnames if n.startswith("卡")]) == 5
    xlsx, _ = _report(published_demo, tmp_path / "none", "--level", "grid", "--scorecards", "0")
    assert not [n for n in openpyxl.load_workbook(xlsx).sheetnames if n.startswith("卡")]


def test_run_id_on_the_cover_every_footer_and_every_slide(community_pack):
    db, xlsx, pptx = community_pack
    run = _marts(db, "SELECT run_id, config_hash FROM runs ORDER BY run_id DESC LIMIT 1").iloc[0]
    wb = openpyxl.load_workbook(xlsx)
    cover = {r[0].value: r[1].value for r in wb["封面"].iter_rows(min_row=2) if r[0].value}
    assert cover["运行编号"].startswith(f"#{run['run_id']}")
    assert cover["配置哈希 SHA-256"] == run["config_hash"]
    assert cover["季度"] == "2025年第四季度"
    for ws in wb.worksheets:
        assert f"运行 #{run['run_id']}" in ws.oddFooter.left.text
        assert run["config_hash"][:12] in ws.oddFooter.left.text
    assert wb.custom_doc_props["run_id"].value == run["run_id"]
    prs = Presentation(pptx)
    for text in _slide_text(prs):
        assert f"运行 #{run['run_id']}" in text
    assert prs.core_properties.identifier == f"run-{run['run_id']}-{run['config_hash']}"
    assert run["config_hash"] in _slide_text(prs)[0]  # the title slide carries the whole hash


def test_deck_has_native_charts_of_the_right_types(community_pack):
    db, _, pptx = community_pack
    prs = Presentation(pptx)
    charts = [(i, s.chart) for i, slide in enumerate(prs.slides) for s in slide.shapes if s.has_chart]
    kinds = {c.chart_type for _, c in charts}
    assert {XL_CHART_TYPE.COLUMN_CLUSTERED, XL_CHART_TYPE.BAR_CLUSTERED, XL_CHART_TYPE.LINE_MARKERS} <= kinds
    texts = _slide_text(prs)
    for heading in (
        "总体情况",
        "综合指数排名",
        "综合指数地图",
        "各季度指数走势",
        "红榜与黑榜",
        "黄牌",
        "整改清单",
        "先锋党员",
        "方法说明",
    ):
        assert any(heading in t for t in texts), heading
    # The ranking chart's data: the 15 best grids by composite, in rank order, one decimal.
    ranking = next(c for i, c in charts if c.chart_type == XL_CHART_TYPE.BAR_CLUSTERED)
    top = _scores(
        db, "unit_name, composite", rest="AND composite IS NOT NULL ORDER BY composite DESC, unit_id LIMIT 15"
    )
    assert list(ranking.plots[0].categories) == top["unit_name"].tolist()
    assert list(ranking.series[0].values) == [round(v, 1) for v in top["composite"]]
    # The trend: the city's composite in every quarter (not the years).
    trend = next(c for _, c in charts if c.chart_type == XL_CHART_TYPE.LINE_MARKERS)
    city = _marts(
        db,
        "SELECT period, composite FROM unit_scores WHERE run_id = ? AND level = 'city' AND period LIKE '%Q%' "
        "ORDER BY period",
        [_latest(db)],
    )
    assert list(trend.plots[0].categories) == city["period"].tolist()
    assert list(trend.series[0].values) == [round(v, 1) for v in city["composite"]]
    # The map is a picture (drawn offline), not a chart.
    map_slide = next(s for s, t in zip(prs.slides, texts, strict=True) if "综合指数地图" in t)
    pictures = [s for s in map_slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1 and pictures[0].image.content_type == "image/png"


def test_map_falls_back_to_a_ranked_bar_without_boundaries(published_demo):
    with connect_read(published_demo) as con:
        p = pack.build(con, PERIOD, "community")
    prs = Presentation(io.BytesIO(deck.render(dataclasses.replace(p, geometry=[]))))
    slide = next(s for s, t in zip(prs.slides, _slide_text(prs), strict=True) if "无地图边界" in t)
    assert not [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    bars = [s.chart for s in slide.shapes if s.has_chart]
    assert bars and bars[0].chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    ranked = p.units[p.units["composite"].notna()].sort_values("composite", ascending=False)
    assert list(bars[0].plots[0].categories) == ranked["unit_name"].tolist()


def test_names_masked_by_default_and_clear_on_request(community_pack, tmp_path):
    db, xlsx, pptx = community_pack
    members = _rows(openpyxl.load_workbook(xlsx)["先锋党员"], 2)
    assert members and all(MASKED.match(r["姓名"]) for r in members)
    prs_text = "\n".join(_slide_text(Presentation(pptx)))
    clear = set(_marts(db, "SELECT DISTINCT name FROM members")["name"])
    assert not [n for n in clear if len(n) >= 2 and n in prs_text]
    assert "党员姓名已脱敏" in prs_text
    xlsx2, pptx2 = _report(db, tmp_path, "--level", "grid", "--clear-names")
    named = _rows(openpyxl.load_workbook(xlsx2)["先锋党员"], 2)
    assert [r["姓名"] for r in named] and all(r["姓名"] in clear for r in named)
    assert [mask(r["姓名"]) for r in named] == [r["姓名"] for r in members]
    assert named[0]["姓名"] in "\n".join(_slide_text(Presentation(pptx2)))


def mask(name: str) -> str:
    from pipelines.access.masking import mask_name

    return mask_name(name)


def test_no_personal_numbers_in_either_file(community_pack, tmp_path):
    db, _, _ = community_pack
    xlsx, pptx = _report(db, tmp_path, "--level", "grid", "--clear-names")
    text = _all_cells(openpyxl.load_workbook(xlsx)) + _slide_text(Presentation(pptx))
    assert not [t for t in text if ID_NUMBER.search(t) or PHONE.search(t)]


def test_scope_keeps_the_whole_levels_ranks(published_demo, tmp_path):
    street = _marts(published_demo, "SELECT DISTINCT district || '/' || street AS s FROM grids ORDER BY s")["s"].iloc[0]
    xlsx, pptx = _report(published_demo, tmp_path, "--level", "grid", "--scope", street)
    rows = _rows(openpyxl.load_workbook(xlsx)["排名"])
    expected = _marts(
        published_demo,
        "SELECT u.unit_id, u.composite_rank FROM unit_scores u JOIN grids g ON g.grid_id = u.unit_id "
        "WHERE u.run_id = ? AND u.period = ? AND u.level = 'grid' AND g.district || '/' || g.street = ? "
        "ORDER BY u.composite_rank NULLS LAST, u.unit_id",
        [_latest(published_demo), PERIOD, street],
    )
    assert [r["单位编码"] for r in rows] == expected["unit_id"].tolist()
    assert [r["排名"] for r in rows] == [None if pd.isna(x) else int(x) for x in expected["composite_rank"]]
    assert rows[0]["排名"] != 1 or expected["composite_rank"].min() == 1  # not re-ranked from 1
    outside = set(
        _marts(published_demo, "SELECT grid_name FROM grids WHERE district || '/' || street <> ?", [street])[
            "grid_name"
        ]
    )
    text = "\n".join(_all_cells(openpyxl.load_workbook(xlsx)) + _slide_text(Presentation(pptx)))
    assert not [n for n in outside if n in text]
    rect = {r["单位"] for r in _rows(openpyxl.load_workbook(xlsx)["整改清单"])}
    names = _marts(published_demo, "SELECT grid_id, grid_name FROM grids").set_index("grid_id")["grid_name"]
    assert rect == {names[u] for u in _expected_rectification(published_demo, "grid", street)["unit_id"]}
    assert street.replace("/", " · ") in Presentation(pptx).slides[0].shapes[1].text_frame.text


def test_every_file_is_audited_with_its_hash(published_demo, tmp_path):
    xlsx, pptx = _report(published_demo, tmp_path, "--level", "community")
    communities = _scores(published_demo, "count(*) AS n", "community")["n"].iloc[0]
    events = audit.read(None, None, None, ["export"], "report.")
    assert len(events) == 2
    for path in (xlsx, pptx):
        row = events[events["what"] == f"report.{path.suffix[1:]}"].iloc[0]
        assert str(path.resolve()) in row["detail"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() in row["detail"]
        assert '"masked"' in row["detail"]
        assert row["row_count"] == communities
        assert (path.stat().st_mode & 0o777) == 0o600


def test_refusals(published_demo, tmp_path, capsys):
    for args, message in (
        (["--period", "2031Q1"], "本次计算没有该期间"),
        (["--period", "2031"], "本次计算没有该期间"),
        (["--period", PERIOD, "--scope", "不存在区"], "--scope"),
        (["--period", PERIOD, "--run", "999"], "no such run"),
    ):
        with pytest.raises(SystemExit) as e:
            main(["report", "--db", str(published_demo), "--out", str(tmp_path), *args])
        assert message in str(e.value)
    with pytest.raises(SystemExit):
        main(["report", "--db", str(tmp_path / "none.duckdb"), "--period", PERIOD, "--out", str(tmp_path)])
    assert not list(tmp_path.glob("*.xlsx"))


def test_text_that_looks_like_a_formula_stays_text(published_demo):
    with connect_read(published_demo) as con:
        p = pack.build(con, PERIOD, "community", scorecards=1)
    units = p.units.copy()
    units.loc[0, "unit_name"] = '=HYPERLINK("http://example.com","x")'
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render(dataclasses.replace(p, units=units))))
    cell = next(c for c in wb["排名"]["C"] if c.value and "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.value.startswith("'=")

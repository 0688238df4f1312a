"""The meeting deck (考评汇报, .pptx): title; overview of scores and change; ranking; map;
trends; red and black lists; yellow cards; rectification list; last period's rectification
items and their status (上期整改情况); top members; methodology. A year
(年度考评) adds, after the ranking, the adjustments (加减分) and each unit's four quarters; a
quarter shows its adjustments only when it has some.

Charts are native PowerPoint charts with their data inside (a secretary can restyle or correct
one in PowerPoint or WPS; names in that data are text, never formulas: chart_data.py), not
pictures; only the map is a picture, drawn offline (map_image.py), and where no unit has a
boundary a ranked bar takes its place. Every slide carries the run's trace line and its page
number."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from pipelines.report import labels as L
from pipelines.report import map_image
from pipelines.report.chart_data import TextChartData
from pipelines.report.pack import Pack
from pipelines.vocabulary import BLACK_LIST, LISTS, RED_LIST, YELLOW_CARD

FONT = "微软雅黑"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
MARGIN = Inches(0.5)
BODY_TOP = Inches(1.25)
BODY_HEIGHT = HEIGHT - BODY_TOP - Inches(0.6)
RANKED_BARS = 25  # more units than this: the top 15 and the bottom 15
ROWS_PER_SLIDE = 10
SERIES_COLOURS = ("#1f4e79", "#c62828", "#2e7d32", "#ef6c00")


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


def _font(run_font, size: float, bold: bool = False, colour: str | None = None) -> None:
    """Size, weight, colour and a Chinese typeface for both Latin and East Asian text (PowerPoint
    picks the East Asian face for Chinese characters; python-pptx only sets the Latin one)."""
    run_font.size, run_font.bold, run_font.name = Pt(size), bold, FONT
    if colour:
        run_font.color.rgb = _rgb(colour)
    rpr = run_font._rPr
    for tag in ("a:ea", "a:cs"):
        node = rpr.find(qn(tag))
        if node is None:
            node = rpr.makeelement(qn(tag), {})
            rpr.append(node)
        node.set("typeface", FONT)


def _text(
    slide: Slide,
    left,
    top,
    width,
    height,
    lines: Sequence[str],
    size: float = 16,
    bold: bool = False,
    colour: str = "#222222",
    align=PP_ALIGN.LEFT,
) -> None:
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        _font(run.font, size, bold, colour)


class _Deck:
    def __init__(self, p: Pack) -> None:
        self.p = p
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.blank = self.prs.slide_layouts[6]

    def slide(self, heading: str) -> Slide:
        s = self.prs.slides.add_slide(self.blank)
        _text(s, MARGIN, Inches(0.35), WIDTH - 2 * MARGIN, Inches(0.7), [heading], 28, True, "#b71c1c")
        _text(s, MARGIN, Inches(0.95), WIDTH - 2 * MARGIN, Inches(0.3), [L.heading(self.p)], 12, colour="#666666")
        return s

    def chart(
        self,
        slide: Slide,
        kind,
        categories: Sequence[str],
        series: dict[str, Sequence[float | None]],
        box: tuple,
        *,
        maximum: float | None = 100,
        legend: bool = True,
        labels: bool = True,
    ):
        data = TextChartData(number_format="0.0")
        data.categories = list(categories)
        for name, values in series.items():
            data.add_series(name, [None if v is None or v != v else round(float(v), 1) for v in values])
        chart = slide.shapes.add_chart(kind, *box, data).chart
        chart.font.size, chart.font.name = Pt(12), FONT
        chart.has_legend = legend and len(series) > 1
        if chart.has_legend:
            chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        if maximum is not None:
            chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0, maximum
        chart.value_axis.has_major_gridlines = True
        if labels and kind not in (XL_CHART_TYPE.LINE_MARKERS,):
            plot = chart.plots[0]
            plot.has_data_labels = True
            plot.data_labels.number_format, plot.data_labels.number_format_is_linked = "0.0", False
            plot.data_labels.font.size = Pt(10)
        for colour, s in zip(SERIES_COLOURS, chart.series, strict=False):
            if kind == XL_CHART_TYPE.LINE_MARKERS:
                s.format.line.color.rgb = _rgb(colour)
                s.format.line.width = Pt(2.5)
                s.smooth = False
            else:
                s.format.fill.solid()
                s.format.fill.fore_color.rgb = _rgb(colour)
        return chart

    def table(
        self,
        slide: Slide,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        box: tuple,
        widths: Sequence[float] | None = None,
        colour_columns: Sequence[int] = (),
    ) -> None:
        shape = slide.shapes.add_table(len(rows) + 1, len(header), *box)
        table = shape.table
        if widths:
            total = sum(widths)
            for c, w in enumerate(widths):
                table.columns[c].width = Emu(int(box[2] * w / total))
        palette = {**L.GRADE_COLOURS, **L.LIST_COLOURS, YELLOW_CARD: L.YELLOW_CARD}
        for r, values in enumerate([header, *rows]):
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                cell.text = ""
                run = cell.text_frame.paragraphs[0].add_run()
                run.text = str(value)
                colour = palette.get(value) if r and c in colour_columns else None
                _font(run.font, 13, bold=not r, colour="#ffffff" if colour and value != YELLOW_CARD else None)
                if colour:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = _rgb(colour)

    def footers(self) -> None:
        slides = list(self.prs.slides)
        for n, s in enumerate(slides, start=1):
            _text(s, MARGIN, HEIGHT - Inches(0.45), Inches(9), Inches(0.3), [self.p.trace], 10, colour="#888888")
            _text(
                s,
                WIDTH - MARGIN - Inches(2),
                HEIGHT - Inches(0.45),
                Inches(2),
                Inches(0.3),
                [f"{n} / {len(slides)}"],
                10,
                colour="#888888",
                align=PP_ALIGN.RIGHT,
            )


def _empty(slide: Slide, message: str) -> None:
    """What a slide says when it has nothing to show."""
    _text(slide, MARGIN, BODY_TOP, Inches(10), Inches(1), [message], 16)


def _note(slide: Slide, left, width, line: str) -> None:
    """A grey line at the foot of a slide's body."""
    _text(slide, left, HEIGHT - Inches(1.0), width, Inches(0.4), [line], 12, colour="#666666")


def _more(slide: Slide, left, width, rows: int, sheet: str) -> None:
    """Under a table cut at ROWS_PER_SLIDE: how many rows more, and the workbook sheet with them all."""
    if rows > ROWS_PER_SLIDE:
        _note(slide, left, width, f"另有 {rows - ROWS_PER_SLIDE} 个，见工作簿“{sheet}”表")


def _title(d: _Deck) -> None:
    p = d.p
    s = d.prs.slides.add_slide(d.blank)
    _text(
        s,
        MARGIN,
        Inches(2.2),
        WIDTH - 2 * MARGIN,
        Inches(1.2),
        [f"{L.LEVEL_NAMES[p.level]}党建指数{L.evaluation(p)}"],
        40,
        True,
        "#b71c1c",
        PP_ALIGN.CENTER,
    )
    _text(
        s,
        MARGIN,
        Inches(3.5),
        WIDTH - 2 * MARGIN,
        Inches(0.8),
        [f"{p.scope_name} · {L.period_name(p)}"],
        24,
        colour="#333333",
        align=PP_ALIGN.CENTER,
    )
    # The standing (草稿, 公示中 and its dates, 已发布) above the year-to-date mark, in red for a draft.
    _text(
        s,
        MARGIN,
        Inches(1.3),
        WIDTH - 2 * MARGIN,
        Inches(0.8),
        [L.standing(p)],
        16,
        p.draft or p.on_notice,
        "#c62828" if p.draft else "#333333",
        PP_ALIGN.CENTER,
    )
    ytd = L.year_to_date(p)
    if ytd:
        _text(s, MARGIN, Inches(4.2), WIDTH - 2 * MARGIN, Inches(0.6), [ytd], 14, True, L.YELLOW_CARD, PP_ALIGN.CENTER)
    _text(
        s,
        MARGIN,
        Inches(4.8),
        WIDTH - 2 * MARGIN,
        Inches(1.2),
        [
            f"运行 #{p.run['run_id']} · 方法 {p.run['methodology_version']} · 配置哈希 {p.run['config_hash']}",
            f"数据日期 {L.date(p.run['data_date'])} · 生成于 {L.date(p.generated_at)} · {L.names_note(p)}",
        ],
        12,
        colour="#666666",
        align=PP_ALIGN.CENTER,
    )


def _overview(d: _Deck) -> None:
    p = d.p
    s = d.slide("总体情况")
    history = (p.scope_years if p.is_year else p.scope_history).set_index("period")
    now = history.loc[p.period] if p.period in history.index else None
    before = history.loc[p.previous] if p.previous in history.index else None
    keys = list(L.SCORES)
    series = {}
    if before is not None:
        series[f"{L.last(p)}（{p.previous}）"] = [before[k] for k in keys]
    if now is not None:
        series[f"{L.this(p)}（{p.period}）"] = [now[k] for k in keys]
    if series:
        d.chart(
            s,
            XL_CHART_TYPE.COLUMN_CLUSTERED,
            list(L.SCORES.values()),
            series,
            (MARGIN, BODY_TOP, Inches(7), BODY_HEIGHT),
        )
    grades = [g.name for g in p.methodology.grades]
    counts = p.units["grade"].value_counts()
    chart = d.chart(
        s,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        grades,
        {"单位数": [int(counts.get(g, 0)) for g in grades]},
        (Inches(7.8), BODY_TOP, Inches(5), Inches(3.4)),
        maximum=None,
    )
    chart.plots[0].data_labels.number_format = "0"
    chart.has_title = True
    chart.chart_title.text_frame.text = "等级分布（单位数）"
    for point, grade in zip(chart.series[0].points, grades, strict=True):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = _rgb(L.GRADE_COLOURS.get(grade, L.OTHER))
    change = (now["composite"] - before["composite"]) if now is not None and before is not None else None
    lines = [
        f"{L.LEVEL_NAMES[p.level]} {len(p.units)} 个，参与排名 {len(p.ranked)} 个",
        f"{p.scope_name}综合指数 {L.score(now['composite'] if now is not None else None)}"
        + ("" if change is None or change != change else f"，较{L.last(p)} {change:+.1f}"),
        f"{RED_LIST} {len(p.listed(RED_LIST))} 个 · {BLACK_LIST} {len(p.listed(BLACK_LIST))} 个 · "
        f"{YELLOW_CARD} {len(p.yellow_cards)} 个",
        f"列入整改清单 {len(p.rectification)} 个",
    ]
    if p.is_year or p.adjusted:
        lines.append(f"加减分：{L.adjustment_count(p)}")
    _text(s, Inches(7.8), Inches(4.8), Inches(5), Inches(2), lines, 15)
    if p.is_year or p.quotas:
        _note(s, MARGIN, WIDTH - 2 * MARGIN, L.quota_lines(p)[0])


def _ranked_bars(d: _Deck, s: Slide, index: str = "composite") -> None:
    ranked = d.p.units[d.p.units[index].notna()].sort_values(index, ascending=False, kind="stable")
    parts = (
        [("", ranked)] if len(ranked) <= RANKED_BARS else [("前 15 名", ranked.head(15)), ("后 15 名", ranked.tail(15))]
    )
    width = (WIDTH - 2 * MARGIN - Inches(0.3) * (len(parts) - 1)) / len(parts)
    for i, (caption, rows) in enumerate(parts):
        box = (MARGIN + i * (width + Inches(0.3)), BODY_TOP, int(width), BODY_HEIGHT)
        chart = d.chart(
            s,
            XL_CHART_TYPE.BAR_CLUSTERED,
            list(rows["unit_name"].fillna(rows["unit_id"])),
            {L.SCORES[index]: list(rows[index])},
            box,
        )
        chart.category_axis.reverse_order = True  # rank 1 at the top
        chart.category_axis.tick_labels.font.size = Pt(10 if len(rows) > 15 else 12)
        if caption:
            chart.has_title = True
            chart.chart_title.text_frame.text = caption
        for point, grade in zip(chart.series[0].points, rows["grade"], strict=True):
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = _rgb(L.GRADE_COLOURS.get(grade, L.OTHER))


def _ranking(d: _Deck) -> None:
    s = d.slide(f"{L.LEVEL_NAMES[d.p.level]}综合指数排名（颜色为等级）")
    _ranked_bars(d, s)
    if d.p.is_year or d.p.adjusted:
        _note(s, MARGIN, WIDTH - 2 * MARGIN, "综合指数为计入加减分与一票否决后的结果；调整明细见“加减分”页。")


def _adjustments(d: _Deck) -> None:
    """Every applied entry in scope, ten a slide: unit, kind, points, reason, evidence (name and
    SHA-256 prefix), who entered and who approved it, and the composite before and after."""
    p = d.p
    if not (p.is_year or p.adjusted):
        return
    a = p.adjustments
    pages = max(1, -(-len(a) // ROWS_PER_SLIDE))
    for page in range(pages):
        s = d.slide(f"加减分（{len(a)} 项）" + (f" · {page + 1}/{pages}" if pages > 1 else ""))
        chunk = a.iloc[page * ROWS_PER_SLIDE : (page + 1) * ROWS_PER_SLIDE]
        if chunk.empty:
            _empty(s, f"无：{L.period_name(p)}范围内没有生效的加减分项。")
            continue
        rows = [
            [
                str(x["unit_name"] if isinstance(x["unit_name"], str) else x["unit_id"]),
                str(x["kind"]),
                f"{x['points']:+g}" if x["points"] else "—",
                str(x["reason"]),
                _evidence(x),
                f"{x['entered_by']} / {x['approved_by']}",
                f"{L.score(x['composite_raw'])} → {L.score(x['composite'])}",
            ]
            for x in chunk.to_dict("records")
        ]
        d.table(
            s,
            ["单位", "类型", "分值", "事由", "佐证（SHA-256）", "录入 / 审批", "综合（调整前→后）"],
            rows,
            (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.45) * (len(rows) + 1)),
            (1.6, 0.9, 0.7, 3.2, 2.4, 1.6, 1.6),
        )
        _note(s, MARGIN, WIDTH - 2 * MARGIN, L.adjustment_lines(p)[0])


def _evidence(entry: dict) -> str:
    """An entry's evidence file and the first 12 hex digits of its SHA-256 ("—": none)."""
    name, digest = entry["evidence_name"], entry["evidence_sha256"]
    return f"{name}（{str(digest)[:12]}）" if isinstance(name, str) and name else "—"


def _quarters(d: _Deck) -> None:
    """A year: each unit's composite in its four quarters beside the year's (first units by rank)."""
    p = d.p
    if not p.is_year:
        return
    s = d.slide(f"各季度与{L.period_name(p)}综合指数")
    units = p.units.merge(p.quarterly, on="unit_id", how="left")
    if units.empty:
        _empty(s, "本范围没有单位。")
        return
    labels = [f"{p.period}Q{n}" for n in range(1, 5)]
    rows = [
        [
            L.score(r["composite_rank"]).replace(".0", ""),
            str(r["unit_name"]),
            *(L.score(r.get(q)) for q in labels),
            L.score(r["composite_raw"]),
            "—" if not r["adjustment"] else f"{r['adjustment']:+.1f}",
            L.score(r["composite"]),
            r["grade"] if isinstance(r["grade"], str) else "—",
        ]
        for r in units.head(ROWS_PER_SLIDE).to_dict("records")
    ]
    d.table(
        s,
        ["排名", "单位", *(L.quarter(q)[5:] for q in labels), "年度调整前", "加减分", "年度综合", "等级"],
        rows,
        (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.42) * (len(rows) + 1)),
        (0.7, 2.2, 1.1, 1.1, 1.1, 1.1, 1.2, 0.9, 1.1, 0.8),
        colour_columns=(9,),
    )
    _more(s, MARGIN, Inches(8), len(units), "分季度")


def _map(d: _Deck) -> None:
    p = d.p
    png = map_image.render(p.geometry, dict(zip(p.units["unit_id"], p.units["composite"], strict=True)), "综合指数")
    s = d.slide("综合指数地图" if png else "综合指数排名（无地图边界）")
    if png is None:
        _ranked_bars(d, s)
        return
    height = BODY_HEIGHT
    width = int(height * map_image.SIZE[0] / map_image.SIZE[1])
    s.shapes.add_picture(io.BytesIO(png), int((WIDTH - width) / 2), BODY_TOP, width, height)


def _trends(d: _Deck) -> None:
    p = d.p
    s = d.slide(f"{p.scope_name}各季度指数走势")
    h = p.scope_history
    if h.empty:
        _empty(s, "本范围没有各季度的指数。")
        return
    d.chart(
        s,
        XL_CHART_TYPE.LINE_MARKERS,
        list(h["period"]),
        {L.SCORES[k]: list(h[k]) for k in L.SCORES},
        (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, BODY_HEIGHT),
        labels=False,
    )


def _unit_rows(rows: pd.DataFrame) -> list[list[str]]:
    return [
        [
            L.score(r["composite_rank"]).replace(".0", ""),
            str(r["unit_name"]),
            L.score(r["composite"]),
            r["grade"] if isinstance(r["grade"], str) else "—",
            L.rank_change(r["rank_change"]),
        ]
        for r in rows.to_dict("records")
    ]


def _lists(d: _Deck) -> None:
    p = d.p
    s = d.slide(f"{RED_LIST}与{BLACK_LIST}")
    header = ["排名", "单位", "综合", "等级", "变化"]
    half = (WIDTH - 2 * MARGIN - Inches(0.4)) / 2
    for i, (name, colour) in enumerate((name, L.LIST_COLOURS[name]) for name in LISTS):
        left = MARGIN + i * (half + Inches(0.4))
        rows = _unit_rows(p.listed(name))
        _text(s, left, BODY_TOP, int(half), Inches(0.5), [f"{name}（{len(rows)} 个）"], 20, True, colour)
        if rows:
            d.table(
                s,
                header,
                rows[:ROWS_PER_SLIDE],
                (left, BODY_TOP + Inches(0.6), int(half), Inches(0.4) * (min(len(rows), ROWS_PER_SLIDE) + 1)),
                (1, 3, 1.2, 1, 1),
                colour_columns=(3,),
            )
            _more(s, left, int(half), len(rows), name)
        else:
            _text(
                s,
                left,
                BODY_TOP + Inches(0.6),
                int(half),
                Inches(0.5),
                [f"{L.this(p)}未评定（参与排名单位不足）或无单位入榜。"],
                14,
            )
    cards = p.yellow_cards
    s = d.slide(f"{YELLOW_CARD}（{len(cards)} 个）")
    if cards.empty:
        _empty(s, f"{L.this(p)}没有单位被亮{YELLOW_CARD}。")
        return
    rows = [
        [
            str(r["unit_name"]),
            L.score(r["prev_composite"]),
            L.score(r["composite"]),
            "—" if r["prev_composite"] != r["prev_composite"] else f"{r['composite'] - r['prev_composite']:+.1f}",
            r["prev_grade"] if isinstance(r["prev_grade"], str) else "—",
            r["grade"] if isinstance(r["grade"], str) else "—",
        ]
        for r in cards.head(ROWS_PER_SLIDE).to_dict("records")
    ]
    d.table(
        s,
        ["单位", f"{L.last(p)}综合", f"{L.this(p)}综合", "变化", f"{L.last(p)}等级", f"{L.this(p)}等级"],
        rows,
        (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.42) * (len(rows) + 1)),
        (3, 1.2, 1.2, 1, 1, 1),
        (4, 5),
    )
    _more(s, MARGIN, Inches(8), len(cards), YELLOW_CARD)


def _weak_text(weakest: list[dict]) -> str:
    return (
        "；".join(
            f"{w['name']} {L.indicator_value(w['value'], w['lo'], w['hi'])}（失 {w['lost']:.1f} 分）" for w in weakest
        )
        or "—"
    )


def _rectification(d: _Deck) -> None:
    p = d.p
    r = p.rectification
    pages = max(1, -(-len(r) // ROWS_PER_SLIDE))
    for page in range(pages):
        heading = f"整改清单（{len(r)} 个）" + (f" · {page + 1}/{pages}" if pages > 1 else "")
        s = d.slide(heading)
        chunk = r.iloc[page * ROWS_PER_SLIDE : (page + 1) * ROWS_PER_SLIDE]
        if chunk.empty:
            _empty(s, f"{L.this(p)}没有单位列入整改清单。")
            continue
        rows = [
            [
                str(x["unit_name"]),
                L.score(x["composite"]),
                x["grade"] if isinstance(x["grade"], str) else "—",
                x["reasons"],
                _weak_text(x["weakest"]),
                x["organisation"] if isinstance(x["organisation"], str) else "—",
            ]
            for x in chunk.to_dict("records")
        ]
        d.table(
            s,
            ["单位", "综合", "等级", "入选原因", "失分最多的两项指标", "责任组织"],
            rows,
            (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.45) * (len(rows) + 1)),
            (1.6, 0.8, 0.8, 1.5, 4.4, 2.6),
            colour_columns=(2,),
        )


def _followup(d: _Deck) -> None:
    """上期整改情况: last period's tracked items, ten a slide (unit, reasons, deadline, measures,
    status at the pack's build time), the count per status under each; or one line: none."""
    p = d.p
    f = p.followup
    pages = max(1, -(-len(f) // ROWS_PER_SLIDE))
    for page in range(pages):
        s = d.slide(f"{L.FOLLOWUP}（{len(f)} 项）" + (f" · {page + 1}/{pages}" if pages > 1 else ""))
        chunk = f.iloc[page * ROWS_PER_SLIDE : (page + 1) * ROWS_PER_SLIDE]
        if chunk.empty:
            _empty(s, L.followup_line(p))
            continue
        rows = [
            [
                str(x["unit_name"] if isinstance(x["unit_name"], str) else x["unit_id"]),
                str(x["reasons"]),
                L.date(x["deadline"]),
                x["measures"] if isinstance(x["measures"], str) else "—",
                str(x["status"]),
            ]
            for x in chunk.to_dict("records")
        ]
        d.table(
            s,
            ["单位", "入选原因", "整改期限", "整改措施", "状态"],
            rows,
            (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.45) * (len(rows) + 1)),
            (1.8, 1.6, 1.4, 5.4, 1),
        )
        _note(s, MARGIN, WIDTH - 2 * MARGIN, L.followup_line(p))


def _members(d: _Deck) -> None:
    p = d.p
    s = d.slide("先锋党员（先锋分前 10 名）")
    rows = [
        [
            str(i),
            m["name"] or "—",
            str(m["grid_name"]),
            f"{int(m['services'])}",
            f"{m['hours']:.1f}",
            f"{m['score']:.1f}",
            m["tier"],
        ]
        for i, m in enumerate(p.members.head(10).to_dict("records"), start=1)
    ]
    if not rows:
        _empty(s, f"{L.this(p)}没有计分的党员。")
        return
    d.table(
        s,
        ["序号", "姓名", "网格", "服务次数", "服务时长（小时）", "先锋分", "等次"],
        rows,
        (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.42) * (len(rows) + 1)),
        (0.6, 1.2, 2.2, 1, 1.4, 1, 1),
    )
    _note(s, MARGIN, Inches(8), L.names_note(p))


def _shuangbaodao(d: _Deck) -> None:
    """双报到: the scope's first ten reporting organisations by 人均正能量值 (ranked ones first),
    or one line: none in scope. No slide for a run without 正能量值 (before methodology v1.2)."""
    p = d.p
    if p.reporting_orgs is None:
        return
    s = d.slide(f"{L.SHUANGBAODAO} · 报到单位人均正能量值")
    if p.reporting_orgs.empty:
        _empty(s, L.points_line(p))
        return
    orgs = p.reporting_orgs.head(ROWS_PER_SLIDE)
    orgs = orgs.astype(object).where(orgs.notna(), None)  # a missing rank is None, not pd.NA
    rows = [
        [
            str(L.org_rank(o["city_rank"], p)),
            "—"
            if o["district_rank"] != o["district_rank"] or o["district_rank"] is None
            else str(int(o["district_rank"])),
            str(o["org_name"]),
            str(o["district"]),
            f"{int(o['members'])}",
            f"{int(o['claimed_demands'])}",
            f"{o['points']:.1f}",
            f"{o['points_per_member']:.1f}",
        ]
        for o in orgs.to_dict("records")
    ]
    d.table(
        s,
        ["全市排名", "区县排名", "报到单位", "所在区县", "报到党员", "认领办结诉求", "正能量值", "人均正能量值"],
        rows,
        (MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.42) * (len(rows) + 1)),
        (2.2, 1, 3, 1.3, 1, 1.3, 1.1, 1.3),
    )
    _more(s, MARGIN, Inches(8), len(p.reporting_orgs), L.SHUANGBAODAO)


def _methodology(d: _Deck) -> None:
    p = d.p
    s = d.slide("方法说明")
    lines = [
        *L.method_lines(p),
        f"方法：{p.methodology.name_zh or ''}（{p.run['methodology_version']}），"
        f"配置哈希 {p.run['config_hash']}；完整指标与权重见工作簿“方法说明”表。",
    ]
    _text(s, MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, BODY_HEIGHT, lines, 16)


def render(p: Pack) -> bytes:
    """The deck's bytes."""
    d = _Deck(p)
    props = d.prs.core_properties
    props.title, props.subject = L.heading(p), f"党建指数{L.evaluation(p)}"
    props.author, props.keywords, props.comments = p.generated_by or "党建指数看板", f"run {p.run['run_id']}", p.trace
    props.identifier = f"run-{p.run['run_id']}-{p.run['config_hash']}"
    parts = (
        _title,
        _overview,
        _ranking,
        _adjustments,
        _quarters,
        _map,
        _trends,
        _lists,
        _rectification,
        _followup,
        _members,
        _shuangbaodao,
    )
    for part in (*parts, _methodology):
        part(d)
    d.footers()
    out = io.BytesIO()
    d.prs.save(out)
    return out.getvalue()

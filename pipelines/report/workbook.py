"""The meeting workbook (考评工作簿, .xlsx): cover, ranking, red list, black list, yellow cards,
rectification list (整改清单), top members, methodology and one scorecard sheet per unit.

Chinese headers, a frozen header row and filters on every table, scores as numbers with one
decimal (so they sort and sum), grades and bands coloured by conditional formats (so they stay
coloured when a user re-sorts), and the run's trace line in every sheet's footer. Text is
written as text: nothing in a cell can become a formula (pipelines/access/cells)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from pipelines import vocabulary as V
from pipelines.access.cells import inert_value
from pipelines.numbers import number
from pipelines.report import labels as L
from pipelines.report.pack import Pack

FONT = "微软雅黑"
# One column of a table: header, width, how to read the value from a row, and its format name.
Column = tuple[str, float, Callable[[dict], object], str]


def _int(x: object) -> int | None:
    return None if x is None or x != x else int(x)


def _or(name: str | None, otherwise: str) -> str:
    """A name the methodology may leave out."""
    return otherwise if name is None else name


RANKING: list[Column] = [
    ("排名", 7, lambda r: _int(r["composite_rank"]), "int"),
    ("单位编码", 18, lambda r: r["unit_id"], "text"),
    ("单位", 18, lambda r: r["unit_name"], "text"),
    *((name, 10, lambda r, k=k: number(r[k]), "score") for k, name in L.SCORES.items()),
    ("等级", 8, lambda r: r["grade"] if isinstance(r["grade"], str) else "—", "text"),
    ("排名变化", 10, lambda r: _int(r["rank_change"]), "change"),
    ("排名区间", 10, lambda r: L.rank_range(r["rank_q05"], r["rank_q95"]), "text"),
    ("榜单", 8, lambda r: r["list"] if isinstance(r["list"], str) else "", "text"),
    (V.YELLOW_CARD, 8, lambda r: V.YELLOW_CARD if r["yellow_card"] is True else "", "text"),
]
LIST_COLUMNS = [c for c in RANKING if c[0] in ("排名", "单位编码", "单位", "综合指数", "等级", "排名变化")]
YELLOW_COLUMNS: list[Column] = [
    *LIST_COLUMNS[:3],
    ("上季综合", 10, lambda r: number(r["prev_composite"]), "score"),
    ("本季综合", 10, lambda r: number(r["composite"]), "score"),
    (
        "变化",
        10,
        lambda r: (
            number(r["composite"]) - number(r["prev_composite"]) if number(r["prev_composite"]) is not None else None
        ),
        "delta",
    ),
    ("上季等级", 8, lambda r: r["prev_grade"] if isinstance(r["prev_grade"], str) else "—", "text"),
    ("本季等级", 8, lambda r: r["grade"] if isinstance(r["grade"], str) else "—", "text"),
]


def _weak(n: int, what: str) -> Callable[[dict], object]:
    def read(r: dict) -> object:
        if len(r["weakest"]) <= n:
            return None
        w = r["weakest"][n]
        return {
            "name": f"{w['code']} {w['name']}",
            "value": L.indicator_value(w["value"], w["lo"], w["hi"]),
            "goal": L.goalposts(w["lo"], w["hi"]),
            "lost": w["lost"],
        }[what]

    return read


RECTIFICATION: list[Column] = [
    ("序号", 6, lambda r: r["_n"], "int"),
    ("单位", 18, lambda r: r["unit_name"], "text"),
    ("排名", 7, lambda r: _int(r["composite_rank"]), "int"),
    ("综合指数", 10, lambda r: number(r["composite"]), "score"),
    ("等级", 8, lambda r: r["grade"] if isinstance(r["grade"], str) else "—", "text"),
    ("入选原因", 16, lambda r: r["reasons"], "text"),
    ("薄弱指标一", 18, _weak(0, "name"), "text"),
    ("现值一", 10, _weak(0, "value"), "text"),
    ("目标区间一", 14, _weak(0, "goal"), "text"),
    ("失分一", 8, _weak(0, "lost"), "points"),
    ("薄弱指标二", 18, _weak(1, "name"), "text"),
    ("现值二", 10, _weak(1, "value"), "text"),
    ("目标区间二", 14, _weak(1, "goal"), "text"),
    ("失分二", 8, _weak(1, "lost"), "points"),
    ("责任组织", 28, lambda r: r["organisation"] if isinstance(r["organisation"], str) else "—", "text"),
    ("整改措施", 30, lambda r: "", "text"),
    ("完成时限", 12, lambda r: "", "text"),
]
MEMBERS: list[Column] = [
    ("序号", 6, lambda r: r["_n"], "int"),
    ("姓名", 10, lambda r: r["name"], "text"),
    ("网格", 16, lambda r: r["grid_name"], "text"),
    ("网格编码", 18, lambda r: r["grid_id"], "text"),
    ("服务次数", 10, lambda r: _int(r["services"]), "int"),
    ("服务时长（小时）", 14, lambda r: number(r["hours"]), "score"),
    ("先锋分", 10, lambda r: number(r["score"]), "score"),
    ("等次", 8, lambda r: r["tier"], "text"),
]
SCORECARD: list[Column] = [
    ("指数", 10, lambda r: r["index"], "text"),
    ("代码", 7, lambda r: r["code"], "text"),
    ("指标", 16, lambda r: r["name"], "text"),
    ("现值", 10, lambda r: L.indicator_value(r["value"], r["lo"], r["hi"]), "text"),
    ("目标区间", 16, lambda r: L.goalposts(r["lo"], r["hi"], r["direction"]), "text"),
    ("得分（0–100）", 12, lambda r: number(r["score"]), "score"),
    ("指数内权重", 11, lambda r: r["weight"], "share"),
    ("贡献（分）", 10, lambda r: r["contribution"], "points"),
    ("失分（可提升）", 13, lambda r: r["lost"], "points"),
]


class _Book:
    """xlsxwriter with the pack's formats, footers and table writer."""

    def __init__(self, out: io.BytesIO, p: Pack) -> None:
        self.p = p
        self.wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        self.f = {
            "text": self.wb.add_format(base),
            "int": self.wb.add_format({**base, "num_format": "0", "align": "center"}),
            "score": self.wb.add_format({**base, "num_format": "0.0"}),
            "points": self.wb.add_format({**base, "num_format": "0.00"}),
            "share": self.wb.add_format({**base, "num_format": "0.0%"}),
            "delta": self.wb.add_format({**base, "num_format": "+0.0;-0.0;0.0"}),
            # Rank change kept a number (sortable), shown as the dashboard shows it: ↑3 ↓2 =.
            "change": self.wb.add_format({**base, "num_format": '"↑"0;"↓"0;"="', "align": "center"}),
            "header": self.wb.add_format(
                {**base, "bold": True, "bg_color": "#eeeeee", "border": 1, "text_wrap": True, "align": "center"}
            ),
            "title": self.wb.add_format({**base, "bold": True, "font_size": 16}),
            "label": self.wb.add_format({**base, "bold": True, "font_color": "#555555"}),
            "note": self.wb.add_format({**base, "font_color": "#666666", "italic": True}),
            "date": self.wb.add_format({**base, "num_format": "yyyy年m月d日 hh:mm", "align": "left"}),
        }
        coloured = {**L.GRADE_COLOURS, **L.LIST_COLOURS, V.YELLOW_CARD: L.YELLOW_CARD}
        self.band = {
            value: self.wb.add_format(
                {"bg_color": colour, "font_color": "#000000" if value == V.YELLOW_CARD else "#ffffff"}
            )
            for value, colour in coloured.items()
        }
        self.names: set[str] = set()

    def sheet(self, name: str) -> Worksheet:
        # Excel refuses []:*?/\ and an apostrophe at either end; control characters are no name.
        name = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", "·", name)[:31].strip("'")
        while name in self.names:  # sheet names are unique and at most 31 characters
            name = name[:28] + f"~{len(self.names)}"
        self.names.add(name)
        ws = self.wb.add_worksheet(name)
        ws.set_header(f"&L&9{_header_text(L.title(self.p))}")
        ws.set_footer(f"&L&9{_header_text(self.p.trace)}&R&9第 &P 页，共 &N 页")
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_paper(9)  # A4
        return ws

    def table(self, ws: Worksheet, top: int, columns: Sequence[Column], rows: Sequence[dict], caption: str = "") -> int:
        """A table at row `top` (a caption above it if given): headers, frozen, filtered,
        grades and bands coloured. Returns the row after it."""
        if caption:
            ws.write(top, 0, inert_value(caption), self.f["note"])
            top += 1
        for c, (header, width, _, _) in enumerate(columns):
            ws.write(top, c, header, self.f["header"])
            ws.set_column(c, c, width)
        for r, row in enumerate(rows, start=top + 1):
            for c, (_, _, read, kind) in enumerate(columns):
                value = inert_value(read(row))
                if value is None:
                    ws.write_blank(r, c, None, self.f[kind])
                elif isinstance(value, str):
                    ws.write_string(r, c, value, self.f["text"])
                else:
                    ws.write_number(r, c, value, self.f[kind])
        last = top + max(len(rows), 1)
        ws.freeze_panes(top + 1, 0)
        ws.autofilter(top, 0, last, len(columns) - 1)
        for c, (header, *_rest) in enumerate(columns):
            if header in ("等级", "榜单", V.YELLOW_CARD, "本季等级", "上季等级"):
                for value, fmt in self.band.items():
                    ws.conditional_format(
                        top + 1, c, last, c, {"type": "cell", "criteria": "==", "value": f'"{value}"', "format": fmt}
                    )
        return last + 1


def _header_text(text: str) -> str:
    """Text for a printed header or footer: '&' starts a code there (&P is the page), and Excel
    drops a header over 255 characters; a long scope's title is cut to leave room for the codes."""
    text = text.replace("&", "&&")
    return text if len(text) <= 200 else text[:199] + "…"


def _records(frame) -> list[dict]:
    return [{**r, "_n": n} for n, r in enumerate(frame.to_dict("records"), start=1)]


def _cover(b: _Book) -> None:
    p, ws = b.p, b.sheet("封面")
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 80)
    ws.write(0, 0, inert_value(L.title(p)), b.f["title"])
    ranked = p.ranked
    rows = [
        ("季度", L.quarter(p.period)),
        ("层级", L.LEVEL_NAMES[p.level]),
        ("范围", p.scope_name),
        ("单位数", f"{len(p.units)} 个，参与排名 {len(ranked)} 个"),
        ("运行编号", f"#{p.run['run_id']}（计算于 {L.date_time(p.run['computed_at'])}）"),
        (
            "方法版本",
            f"{_or(p.methodology.name_zh, p.run['methodology_version'])}（{p.run['methodology_version']}）",
        ),
        ("配置哈希 SHA-256", str(p.run["config_hash"])),
        ("数据日期", L.date(p.run["data_date"])),
        (
            "数据批次",
            "—"
            if p.run["data_batch"] is None
            else f"#{int(p.run['data_batch'])}（加载于 {L.date_time(p.run['loaded_at'])}）",
        ),
        ("数据指纹 SHA-256", str(p.run["data_digest"] or "—")),
        ("生成时间", L.date_time(p.generated_at)),
        ("生成人", p.generated_by or "—"),
        ("姓名显示", L.names_note(p)),
    ]
    for r, (label, value) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, b.f["label"])
        ws.write_string(r, 1, str(inert_value(value)), b.f["text"])
    notes = [
        "排名为该层级全部单位的正式排名；按范围筛选只显示范围内的单位，不重新排名。",
        "排名区间为数据抽样下排名的 90% 区间（5%–95%），区间重叠的单位差别不显著。",
        f"整改清单：等级为“{p.lowest_grade}”、列入{V.BLACK_LIST}或被亮{V.YELLOW_CARD}的单位；"
        "薄弱指标为综合指数失分最多的两项。",
        "凭运行编号与配置哈希可在看板“方法说明”页或命令行复核本材料的全部数字。",
    ]
    for r, note in enumerate(notes, start=len(rows) + 3):
        ws.write_string(r, 0, note, b.f["note"])


def _methodology(b: _Book) -> None:
    p, ws = b.p, b.sheet("方法说明")
    m = p.methodology
    columns: list[Column] = [
        ("指数", 10, lambda r: r["index"], "text"),
        ("代码", 7, lambda r: r["code"], "text"),
        ("指标", 18, lambda r: r["name_zh"], "text"),
        ("目标区间", 18, lambda r: L.goalposts(float(r["lo"]), float(r["hi"]), int(r["direction"])), "text"),
        ("指数内权重", 11, lambda r: float(r["weight"]), "points"),
        ("缺失处理", 10, lambda r: "计 0 分" if r.get("missing") == "zero" else "跳过", "text"),
    ]
    names = m.index_names("zh")
    rows = [
        {
            "index": names[i.index],
            "code": i.code,
            "name_zh": i.name("zh"),
            "lo": i.lo,
            "hi": i.hi,
            "direction": i.direction,
            "weight": i.weight,
            "missing": i.missing,
        }
        for i in m.indicators
    ]
    end = b.table(ws, 0, columns, rows, caption=f"{_or(m.name_zh, '')}：指标、目标区间与权重")
    for r, line in enumerate(L.method_lines(p), start=end + 1):
        ws.write_string(r, 0, line, b.f["text"])


def _scorecards(b: _Book) -> None:
    for n, (unit, card) in enumerate(b.p.scorecards, start=1):
        ws = b.sheet(f"卡{n:02d} {unit['unit_name'] or unit['unit_id']}")
        title = f"{unit['unit_name']}（{unit['unit_id']}）评分卡 · {L.quarter(b.p.period)}"
        ws.write(0, 0, inert_value(title), b.f["title"])
        facts = [
            ("综合排名", f"{L.score(unit['composite_rank']).replace('.0', '')} / {_int(unit['ranked_units']) or '—'}"),
            *((name, L.score(unit[k])) for k, name in L.SCORES.items()),
            ("等级", unit["grade"] if isinstance(unit["grade"], str) else "—"),
            ("排名变化", L.rank_change(unit["rank_change"])),
            (
                "榜单 / 黄牌",
                "、".join(
                    x
                    for x in (
                        unit["list"] if isinstance(unit["list"], str) else "",
                        V.YELLOW_CARD if unit["yellow_card"] is True else "",
                    )
                    if x
                )
                or "—",
            ),
        ]
        for i, (label, value) in enumerate(facts):
            ws.write_string(1 + i // 4, (i % 4) * 2, label, b.f["label"])
            ws.write_string(1 + i // 4, (i % 4) * 2 + 1, str(inert_value(value)), b.f["text"])
        b.table(
            ws,
            5,
            SCORECARD,
            card.to_dict("records"),
            caption="贡献 = 指标对综合指数的贡献分；失分 = 该指标达到上限时综合指数可提高的分数。",
        )


def render(p: Pack) -> bytes:
    """The workbook's bytes."""
    out = io.BytesIO()
    b = _Book(out, p)
    b.wb.set_properties(
        {
            "title": L.title(p),
            "subject": "党建指数季度考评",
            "author": p.generated_by or "党建指数看板",
            "company": "党建指数看板",
            "keywords": f"run {p.run['run_id']}, config {p.run['config_hash']}",
            "comments": p.trace,
        }
    )
    b.wb.set_custom_property("run_id", int(p.run["run_id"]))
    b.wb.set_custom_property("config_hash", str(p.run["config_hash"]))
    _cover(b)
    units = _records(p.units)
    b.table(b.sheet("排名"), 0, RANKING, units)
    b.table(b.sheet(V.RED_LIST), 0, LIST_COLUMNS, _records(p.listed(V.RED_LIST)))
    b.table(b.sheet(V.BLACK_LIST), 0, LIST_COLUMNS, _records(p.listed(V.BLACK_LIST)))
    b.table(b.sheet(V.YELLOW_CARD), 0, YELLOW_COLUMNS, _records(p.yellow_cards))
    b.table(b.sheet("整改清单"), 0, RECTIFICATION, _records(p.rectification))
    b.table(b.sheet("先锋党员"), 0, MEMBERS, _records(p.members), caption=L.names_note(p))
    _methodology(b)
    _scorecards(b)
    b.wb.close()
    return out.getvalue()

"""The meeting workbook (考评工作簿, .xlsx): cover, ranking, red list, black list, yellow cards,
rectification list (整改清单), last period's rectification items and their status (上期整改情况),
top members, methodology, reporting organisations (双报到, methodology v1.2) and one scorecard
sheet per unit. A year (年度考评) adds the adjustments (加减分), each unit's four quarters
(分季度) and the grades with their quotas (等级), and its ranking shows the composite before
and after adjustment; a quarter shows those only when it has adjustments (or quotas), else it
is laid out as before v1.1. A run that scored F6 adds 任务完成率 as the ranking's last column.

Chinese headers, a frozen header row and filters on every table, scores as numbers with one
decimal (so they sort and sum), grades and bands coloured by conditional formats (so they stay
coloured when a user re-sorts), and the run's trace line in every sheet's footer. Text is
written as text: nothing in a cell can become a formula (pipelines/access/cells)."""

from __future__ import annotations

import io
import math
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
# Beside 综合指数 (the adjusted composite) where a period has adjustments, and always for a year.
ADJUSTED: list[Column] = [
    ("调整前综合", 10, lambda r: number(r["composite_raw"]), "score"),
    ("加减分", 8, lambda r: number(r["adjustment"]), "delta"),
    (V.VETO, 9, lambda r: V.VETO if r["veto"] is True else "", "text"),
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


# Last, where the run scored F6 (methodology v1.2): the share of tasks done on time (at the end,
# so every other column keeps its place in a workbook users already sort and filter).
TASKS: Column = ("任务完成率", 10, lambda r: number(r["F6"]), "share")


def ranking_columns(p: Pack) -> list[Column]:
    """The ranking's columns: with the composite before adjustment, the points and the veto
    beside 综合指数 for a year or a quarter with adjustments; 任务完成率 (F6) last where the run
    scored it."""
    columns = [*RANKING, TASKS] if p.task_completion else RANKING
    if not (p.is_year or p.adjusted):
        return columns
    at = [c[0] for c in columns].index("综合指数") + 1
    return [*columns[:at], *ADJUSTED, *columns[at:]]


def yellow_columns(p: Pack) -> list[Column]:
    """上季/本季 for a quarter, 上年/本年 for a year."""
    if not p.is_year:
        return YELLOW_COLUMNS
    words = {"上季": L.last(p), "本季": L.this(p)}
    return [(re.sub("上季|本季", lambda m: words[m.group()], h), *rest) for h, *rest in YELLOW_COLUMNS]


def _prefix(digest: object) -> str:
    """The first 12 hex digits of a SHA-256, as the trace line shows the config's ("—": no file)."""
    return digest[:12] if isinstance(digest, str) and digest else "—"


ADJUSTMENTS: list[Column] = [
    ("序号", 6, lambda r: r["_n"], "int"),
    ("单位编码", 18, lambda r: r["unit_id"], "text"),
    ("单位", 16, lambda r: r["unit_name"] if isinstance(r["unit_name"], str) else "—", "text"),
    ("类型", 9, lambda r: r["kind"], "text"),
    ("分值", 8, lambda r: number(r["points"]), "delta"),
    ("事由", 36, lambda r: r["reason"], "text"),
    ("佐证材料", 20, lambda r: r["evidence_name"] if isinstance(r["evidence_name"], str) else "—", "text"),
    ("佐证 SHA-256（前12位）", 16, lambda r: _prefix(r["evidence_sha256"]), "text"),
    ("录入人", 10, lambda r: r["entered_by"], "text"),
    ("录入时间", 18, lambda r: L.date_time(r["entered_at"]), "text"),
    ("审批人", 10, lambda r: r["approved_by"], "text"),
    ("审批时间", 18, lambda r: L.date_time(r["approved_at"]), "text"),
    ("调整前综合", 10, lambda r: number(r["composite_raw"]), "score"),
    ("调整后综合", 10, lambda r: number(r["composite"]), "score"),
]


def _quarter_columns(p: Pack) -> list[Column]:
    """A year's units: rank, code, name, the composite of each of its four quarters, then the
    year's composite before adjustment, the points and the year's composite."""
    quarters: list[Column] = [
        (f"{L.quarter(q)[5:]}综合", 11, lambda r, q=q: number(r.get(q)), "score")
        for q in (f"{p.period}Q{n}" for n in range(1, 5))
    ]
    return [
        *RANKING[:3],
        *quarters,
        ("年度调整前综合", 13, lambda r: number(r["composite_raw"]), "score"),
        ("年度加减分", 10, lambda r: number(r["adjustment"]), "delta"),
        ("年度综合指数", 12, lambda r: number(r["composite"]), "score"),
        ("等级", 8, lambda r: r["grade"] if isinstance(r["grade"], str) else "—", "text"),
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
FOLLOWUP: list[Column] = [
    ("序号", 6, lambda r: r["_n"], "int"),
    ("单位", 18, lambda r: r["unit_name"] if isinstance(r["unit_name"], str) else r["unit_id"], "text"),
    ("单位编码", 18, lambda r: r["unit_id"], "text"),
    ("入选原因", 16, lambda r: r["reasons"], "text"),
    ("责任组织", 28, lambda r: r["organisation"] if isinstance(r["organisation"], str) else "—", "text"),
    ("整改期限", 14, lambda r: L.date(r["deadline"]), "text"),
    ("整改措施", 36, lambda r: r["measures"] if isinstance(r["measures"], str) else "—", "text"),
    ("状态", 9, lambda r: r["status"], "text"),
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
REPORTING: list[Column] = [
    ("全市排名", 16, lambda r: r["_rank"], "int"),
    ("区县排名", 8, lambda r: _int(r["district_rank"]), "int"),
    ("报到单位", 24, lambda r: r["org_name"], "text"),
    ("组织编码", 14, lambda r: r["org_id"], "text"),
    ("所在区县", 10, lambda r: r["district"], "text"),
    ("报到党员", 9, lambda r: _int(r["members"]), "int"),
    ("服务次数", 9, lambda r: _int(r["services"]), "int"),
    ("服务时长（小时）", 12, lambda r: number(r["hours"]), "score"),
    ("认领办结诉求", 11, lambda r: _int(r["claimed_demands"]), "int"),
    ("正能量值", 10, lambda r: number(r["points"]), "score"),
    ("人均正能量值", 11, lambda r: number(r["points_per_member"]), "score"),
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
        self.overdue = self.wb.add_format({"bg_color": L.LIST_COLOURS[V.RED_LIST], "font_color": "#ffffff"})
        self.names: set[str] = set()

    def sheet(self, name: str) -> Worksheet:
        # Excel refuses []:*?/\ and an apostrophe at either end; control characters are no name.
        name = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", "·", name)[:31].strip("'")
        while name in self.names:  # sheet names are unique and at most 31 characters
            name = name[:28] + f"~{len(self.names)}"
        self.names.add(name)
        ws = self.wb.add_worksheet(name)
        ws.set_header(f"&L&9{_header_text(L.heading(self.p))}")
        if self.p.draft:  # a draft's tabs are red as well as titled 草稿
            ws.set_tab_color("#c62828")
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
        ("审核状态", L.standing(p)),
        ("年度" if p.is_year else "季度", L.period_name(p)),
        ("层级", L.LEVEL_NAMES[p.level]),
        ("范围", p.scope_name),
        ("单位数", f"{len(p.units)} 个，参与排名 {len(ranked)} 个"),
        *_cycle_rows(p),
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
    if p.is_year or p.adjusted:
        notes.insert(
            2,
            "综合指数为计入加减分与一票否决后的结果（等级、排名、榜单、黄牌均据此）；“调整前综合”为调整前的数值，"
            "明细见“加减分”表。",
        )
    for r, note in enumerate(notes, start=len(rows) + 3):
        ws.write_string(r, 0, note, b.f["note"])


def _cycle_rows(p: Pack) -> list[tuple[str, str]]:
    """The cover's rows on the evaluation cycle: the year's state, adjustments and quotas
    (a quarter: adjustments and quotas only where it has them)."""
    rows = []
    if p.is_year:
        rows.append(("年度状态", L.year_to_date(p) or f"完整年度（{len(p.year_quarters)} 个季度均有数据，年度已结束）"))
    if p.is_year or p.adjusted:
        rows.append(("加减分", L.adjustment_count(p)))
    if p.is_year or p.quotas:
        rows.append(("名额控制", "；".join(L.quota_lines(p))))
    return rows


def _adjustments(b: _Book) -> None:
    p, ws = b.p, b.sheet("加减分")
    caption = f"{L.period_name(p)}已审批生效、被本次计算采用的加减分项（范围内{L.LEVEL_NAMES[p.level]}）"
    end = b.table(ws, 0, ADJUSTMENTS, _records(p.adjustments), caption=caption)
    lines = ["无：本期范围内没有生效的加减分项。"] if p.adjustments.empty else []
    for r, line in enumerate([*lines, *L.adjustment_lines(p)], start=end + 1):
        ws.write_string(r, 0, line, b.f["note"])


def _quarters(b: _Book) -> None:
    p = b.p
    rows = _records(p.units.merge(p.quarterly, on="unit_id", how="left"))
    caption = (
        f"各季度综合指数（调整后）与{L.period_name(p)}；"
        "年度综合指数 = 三项年度指数（各季度指数的平均）的平均，再计年度加减分"
    )
    b.table(b.sheet("分季度"), 0, _quarter_columns(p), rows, caption=caption)


def _grades(b: _Book) -> None:
    p, ws = b.p, b.sheet("等级")
    counts = p.units["grade"].value_counts()
    quotas = dict(p.quotas)
    ranked = p.units["ranked_units"].dropna()
    n = int(ranked.max()) if len(ranked) else 0
    rows = [
        {
            "grade": g.name,
            "count": int(counts.get(g.name, 0)),
            "quota": L.share(quotas[g.name]) if g.name in quotas else "不限",
            "cap": math.ceil(quotas[g.name] * n - 1e-9) if g.name in quotas and n else None,
        }
        for g in p.methodology.grades
    ]
    columns: list[Column] = [
        ("等级", 10, lambda r: r["grade"], "text"),
        ("单位数（范围内）", 14, lambda r: r["count"], "int"),
        ("名额比例", 10, lambda r: r["quota"], "text"),
        ("名额上限（全层级）", 16, lambda r: r["cap"], "int"),
    ]
    end = b.table(ws, 0, columns, rows, caption=f"{L.period_name(p)}等级分布与名额控制")
    for r, line in enumerate(L.quota_lines(p), start=end + 1):
        ws.write_string(r, 0, line, b.f["note"])


def _followup(b: _Book) -> None:
    """上期整改情况: last period's tracked items and their status now, or one line saying there are none."""
    p, ws = b.p, b.sheet(L.FOLLOWUP)
    if p.followup.empty:
        ws.set_column(0, 0, 100)
        ws.write_string(0, 0, L.followup_line(p), b.f["note"])
        return
    end = b.table(ws, 0, FOLLOWUP, _records(p.followup), caption=L.followup_line(p))
    # An overdue item stands out, and stays marked when the table is re-sorted.
    status = [c[0] for c in FOLLOWUP].index("状态")
    ws.conditional_format(
        2, status, end - 1, status, {"type": "cell", "criteria": "==", "value": '"逾期"', "format": b.overdue}
    )


def _shuangbaodao(b: _Book) -> None:
    """双报到: the scope's top reporting organisations by 人均正能量值 (ranked ones first), or one
    line: none in scope. Not made for a run without 正能量值 (before methodology v1.2)."""
    p = b.p
    if p.reporting_orgs is None:
        return
    ws = b.sheet(L.SHUANGBAODAO)
    if p.reporting_orgs.empty:
        ws.set_column(0, 0, 100)
        ws.write_string(0, 0, L.points_line(p), b.f["note"])
        return
    orgs = p.reporting_orgs.astype(object).where(p.reporting_orgs.notna(), None)  # a missing rank is None
    rows = [{**r, "_rank": L.org_rank(r["city_rank"], p)} for r in _records(orgs)]
    b.table(ws, 0, REPORTING, rows, caption=L.points_line(p))


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
            "title": L.heading(p),
            "subject": f"党建指数{L.evaluation(p)}",
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
    b.table(b.sheet("排名"), 0, ranking_columns(p), units)
    if p.is_year or p.adjusted:
        _adjustments(b)
    if p.is_year:
        _quarters(b)
    if p.is_year or p.quotas:
        _grades(b)
    b.table(b.sheet(V.RED_LIST), 0, LIST_COLUMNS, _records(p.listed(V.RED_LIST)))
    b.table(b.sheet(V.BLACK_LIST), 0, LIST_COLUMNS, _records(p.listed(V.BLACK_LIST)))
    b.table(b.sheet(V.YELLOW_CARD), 0, yellow_columns(p), _records(p.yellow_cards))
    # A year's indicators are not scored (its indices are means of quarters): no weakest indicators.
    weak = "年度不计算指标得分，薄弱指标见各季度材料。" if p.is_year else ""
    b.table(b.sheet("整改清单"), 0, RECTIFICATION, _records(p.rectification), caption=weak)
    _followup(b)
    b.table(b.sheet("先锋党员"), 0, MEMBERS, _records(p.members), caption=L.names_note(p))
    _methodology(b)
    _shuangbaodao(b)  # after the fixed sheets, before the scorecards
    _scorecards(b)
    b.wb.close()
    return out.getvalue()

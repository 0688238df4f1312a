"""The meeting pack's words and number forms, in Chinese: the pack is official meeting
material of a Chinese office (the dashboard around it switches language; the documents do
not). The palette is here, and the dashboard's colours are these (dashboard/colours.py), so a
grade reads the same on screen, on paper and on the projector."""

from __future__ import annotations

import hashlib
import unicodedata

from pipelines import vocabulary as V
from pipelines.numbers import date_time_zh as date_time
from pipelines.numbers import date_zh as date
from pipelines.numbers import indicator_value, rank_change, rank_range, score
from pipelines.report.pack import Pack

# The shared number and date forms (pipelines/numbers.py), under the names the layouts use.
__all__ = ["date", "date_time", "indicator_value", "rank_change", "rank_range", "score"]

LEVEL_NAMES = dict(zip(V.LEVELS, ("网格", "社区", "街道", "区县", "全市"), strict=True))
SCORES = dict(zip(V.SCORES, ("综合指数", "堡垒指数", "先锋指数", "服务指数"), strict=True))
# The default methodology's grades; a grade another methodology names is drawn in OTHER.
GRADE_COLOURS = {"好": "#1b7837", "较好": "#5aae61", "一般": "#9e9e9e", "较差": "#7b3294"}
LIST_COLOURS = {V.RED_LIST: "#c62828", V.BLACK_LIST: "#212121"}
YELLOW_CARD = "#f0a500"  # the yellow card's colour
OTHER = "#bdbdbd"  # a grade a methodology names otherwise


def title(p: Pack) -> str:
    """季度考评 title: 上城区 · 2025年第四季度 · 社区党建指数考评."""
    return f"{p.scope_name} · {quarter(p.period)} · {LEVEL_NAMES[p.level]}党建指数考评"


def quarter(period: str) -> str:
    """2025Q4 → 2025年第四季度."""
    return f"{period[:4]}年第{'一二三四'[int(period[-1]) - 1]}季度"


def goalposts(lo: float, hi: float, direction: int = 1) -> str:
    return f"{indicator_value(lo, lo, hi)} – {indicator_value(hi, lo, hi)}{'' if direction == 1 else '（越低越好）'}"


def names_note(p: Pack) -> str:
    return "党员姓名为明文（申请人有查看权限）" if p.names_shown else "党员姓名已脱敏（张*明）"


# A file name may be 255 bytes on most file systems, and a Chinese character is 3 of them in
# UTF-8; a stem of at most 200 leaves room for the extension and a browser's " (1)".
STEM_BYTES = 200
# Path separators, control and invisible characters (Unicode category C*) and what Windows refuses.
_WINDOWS_REFUSES = set('\\/:*?"<>|')


def _safe(name: str) -> str:
    return "".join("_" if c in _WINDOWS_REFUSES or unicodedata.category(c)[0] == "C" else c for c in name)


def file_stem(p: Pack) -> str:
    """党建指数考评_2025Q4_社区_上城区-某街道_运行3: no path separators or control characters, and
    at most STEM_BYTES bytes. A scope that had to be changed keeps its readable beginning and gets
    a short digest of the whole (~1a2b3c4d), so two scopes never share a file name."""
    head, tail = f"党建指数考评_{p.period}_{LEVEL_NAMES[p.level]}_", f"_运行{p.run['run_id']}"
    if not p.scope:
        return f"{head}全市{tail}"
    scope = "-".join(_safe(part) for part in p.scope.split("/"))
    if scope == p.scope.replace("/", "-") and len((head + scope + tail).encode()) <= STEM_BYTES:
        return head + scope + tail
    mark = "~" + hashlib.sha256(p.scope.encode()).hexdigest()[:8]
    room = STEM_BYTES - len((head + mark + tail).encode())
    return head + scope.encode()[:room].decode("utf-8", "ignore") + mark + tail


def method_lines(p: Pack) -> list[str]:
    """The methodology in sentences, from the run's own configuration (workbook and deck)."""
    m = p.methodology
    grades = "、".join(f"{g.name}≥{g.min}" for g in m.grades[:-1]) + f"、{m.lowest_grade}其余"
    composite = "综合指数 = " + "、".join(SCORES.get(k, k) for k in m.composite.indices) + "的平均"
    scale, lists, cap, card = m.scoring.scale, m.lists, m.cap_rule, m.yellow_card
    return [
        f"指标得分 = {scale} ×（现值 − 下限）/（上限 − 下限），截断在 0–{scale}；指数为指标得分的加权平均。",
        composite + "；任一指数缺失则综合指数缺失，不参与排名。",
        f"分类定级：{grades}；群众满意度低于 {cap.satisfaction_below} 时最高定为“{cap.max_grade}”。",
        f"{V.RED_LIST} / {V.BLACK_LIST}：综合排名前 / 后 {lists.red_share:.0%} / {lists.black_share:.0%}"
        "（向上取整，并列一并列入；"
        f"参与排名单位不少于 {lists.min_ranked_units} 个时才评定）。",
        f"{V.YELLOW_CARD}：综合指数比上季下降 {card.composite_drop} 分及以上，或连续两季为“{card.repeat_grade}”。",
    ]

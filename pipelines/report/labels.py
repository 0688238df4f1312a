"""The meeting pack's words and number forms, in Chinese: the pack is official meeting
material of a Chinese office (the dashboard around it switches language; the documents do
not). The palette is here, and the dashboard's colours are these (dashboard/colours.py), so a
grade reads the same on screen, on paper and on the projector."""

from __future__ import annotations

import hashlib
import math
import unicodedata

import pandas as pd

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
    """The pack's title: 上城区 · 2025年第四季度 · 社区党建指数考评 (a quarter),
    上城区 · 2025年度考评 · 社区党建指数 or 上城区 · 2025年度累计 · 社区党建指数 (a year)."""
    if p.is_year:
        return f"{p.scope_name} · {period_name(p)} · {LEVEL_NAMES[p.level]}党建指数"
    return f"{p.scope_name} · {quarter(p.period)} · {LEVEL_NAMES[p.level]}党建指数考评"


DRAFT_MARK = "（草稿）"


def heading(p: Pack) -> str:
    """The title every sheet's printed header and every slide carries: a draft's ends in （草稿）."""
    return title(p) + (DRAFT_MARK if p.draft else "")


def standing(p: Pack) -> str:
    """The result's standing for the cover and the title slide: 草稿, 公示中 with the notice
    dates, or 已发布 with the publication date."""
    s = p.review
    if p.draft:
        state = getattr(s, "state", None)
        why = "该期间尚无正式结果" if getattr(s, "official", None) is None else "所用运行不是该期间的正式结果"
        return (
            f"草稿：{why}（审核状态：{state or '—'}），本材料为运行 #{p.run['run_id']} 的计算结果，"
            "未经审核公示，不得作为考评结论。"
        )
    if p.on_notice:
        line = f"公示中：公示期 {date(s.notice_start)} 至 {date(s.notice_end)}，公示期满且异议处理完毕后发布。"
        return line if not s.correction else f"{line}（更正：{s.correction}）"
    done = getattr(s, "published", None)
    return f"已发布：发布于 {date_time(done.published_at)}。" if done else "—"


def quarter(period: str) -> str:
    """2025Q4 → 2025年第四季度."""
    return f"{period[:4]}年第{'一二三四'[int(period[-1]) - 1]}季度"


def period_name(p: Pack) -> str:
    """2025年第四季度; 2025年度考评 (a complete year) or 2025年度累计 (year-to-date)."""
    if not p.is_year:
        return quarter(p.period)
    return f"{p.period}年度{'考评' if p.complete else '累计'}"


def evaluation(p: Pack) -> str:
    """What the meeting is: 季度考评, 年度考评 or 年度累计."""
    return period_name(p)[len(p.period) :] if p.is_year else "季度考评"


def this(p: Pack) -> str:
    """本季 / 本年: the pack's period in a sentence."""
    return "本年" if p.is_year else "本季"


def last(p: Pack) -> str:
    """上季 / 上年: the period before."""
    return "上年" if p.is_year else "上季"


def year_to_date(p: Pack) -> str | None:
    """The year-to-date mark of a year not complete (None otherwise): which quarters it holds."""
    if not p.is_year or p.complete:
        return None
    held = "、".join(quarter(q)[5:] for q in p.year_quarters) or "无"
    return (
        f"年度累计：计算时 {p.period} 年尚未结束或季度数据不全（已有 {len(p.year_quarters)} 个季度：{held}），"
        "本材料为截至目前的累计结果，不是年度考评结论。"
    )


def share(q: float) -> str:
    """0.1 → 10%, 0.125 → 12.5%."""
    return f"{q * 100:g}%"


def quota_lines(p: Pack) -> list[str]:
    """The grade quotas (名额控制) of the run's methodology in sentences, or that there are none."""
    if not p.quotas:
        return ["名额控制：本方法未设等级名额（[quotas]），各等级不限单位数。"]
    ranked = p.units["ranked_units"].dropna()
    n = int(ranked.max()) if len(ranked) else 0
    caps = "；".join(
        f"“{grade}”不超过参与排名单位的 {share(q)}" + (f"（本期最多 {math.ceil(q * n - 1e-9)} 个）" if n else "")
        for grade, q in p.quotas
    )
    return [
        f"名额控制：{caps}。",
        f"名额按{LEVEL_NAMES[p.level]}全部参与排名单位（{n} 个）计，向上取整；"
        "超出名额的单位按综合指数排名依次降入下一等级，与名额内最后一名综合指数并列者保留等级，降入者计入下一等级的名额。",
    ]


def adjustment_count(p: Pack) -> str:
    """加减分 on a cover: how many entries of each kind apply in scope, or 无 (none)."""
    a = p.adjustments
    if a.empty:
        return "无（本期范围内没有生效的加减分项）"
    kinds = a["kind"].value_counts()
    parts = "、".join(f"{k} {int(kinds[k])} 项" for k in V.ADJUSTMENT_KINDS if k in kinds)
    return f"{len(a)} 项生效（{parts}），涉及 {a['unit_id'].nunique()} 个单位"


def adjustment_lines(p: Pack) -> list[str]:
    """The adjustment rules (methodology v1.1) in sentences, from the run's methodology."""
    a = getattr(p.methodology, "adjustments", None)
    bonus, deduction = (a.max_bonus, a.max_deduction) if a is not None else (5, 20)
    return [
        f"加减分：只计已审批生效的加分、扣分项；加分合计最多 {bonus:g} 分，扣分合计最多 {deduction:g} 分，"
        "调整后综合指数截断在 0–100。堡垒、先锋、服务指数不调整。",
        f"{V.VETO}：该单位定为“{p.lowest_grade}”，不列入{V.RED_LIST}（不递补）。"
        "综合指数、等级、排名、榜单与黄牌均按调整后的综合指数。",
    ]


FOLLOWUP = "上期整改情况"  # the sheet and the slide of last period's rectification items


def previous_name(p: Pack) -> str:
    """The period before, as a sentence names it: 2025年第三季度, 2024年度."""
    if p.previous is None:
        return "上期"
    return f"{p.previous}年度" if p.is_year else quarter(p.previous)


def followup_line(p: Pack) -> str:
    """One line on last period's rectification items: how many in each status at the pack's
    build time, or that there are none (and why none can be)."""
    from pipelines.serve.followup import tally

    level = LEVEL_NAMES[p.level]
    if p.previous is None:
        return f"无上期整改事项：本次计算中{period_name(p)}之前没有同类期间。"
    if p.followup.empty:
        return f"{previous_name(p)}没有{level}整改事项（该期尚未发布，或没有{level}列入整改清单）。"
    counts = "、".join(f"{status} {n} 项" for status, n in tally(p.followup).items())
    return (
        f"{previous_name(p)}{level}整改事项共 {len(p.followup)} 项：{counts}（状态截至 {date_time(p.followup_at)}）。"
    )


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
    """党建指数考评_2025Q4_社区_上城区-某街道_运行3 (a year: 党建指数_2025年度考评_… or
    党建指数_2025年度累计_…): no path separators or control characters, and
    at most STEM_BYTES bytes. A scope that had to be changed keeps its readable beginning and gets
    a short digest of the whole (~1a2b3c4d), so two scopes never share a file name."""
    period = f"党建指数_{period_name(p)}" if p.is_year else f"党建指数考评_{p.period}"
    head, tail = f"{period}_{LEVEL_NAMES[p.level]}_", f"_运行{p.run['run_id']}"
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
    lines = [
        f"指标得分 = {scale} ×（现值 − 下限）/（上限 − 下限），截断在 0–{scale}；指数为指标得分的加权平均。",
        composite + "；任一指数缺失则综合指数缺失，不参与排名。",
        f"分类定级：{grades}；群众满意度低于 {cap.satisfaction_below} 时最高定为“{cap.max_grade}”。",
        f"{V.RED_LIST} / {V.BLACK_LIST}：综合排名前 / 后 {lists.red_share:.0%} / {lists.black_share:.0%}"
        "（向上取整，并列一并列入；"
        f"参与排名单位不少于 {lists.min_ranked_units} 个时才评定）。",
        f"{V.YELLOW_CARD}：综合指数比{last(p)}下降 {card.composite_drop} 分及以上，"
        f"或连续两{this(p)[1]}为“{card.repeat_grade}”。",
    ]
    if p.is_year:
        years = getattr(m, "years", None)
        least = years.min_quarters if years is not None else 3
        lines.insert(
            2,
            f"年度指数 = 本年各季度该指数的平均（至少 {least} 个季度有值，否则缺失）；"
            "年度综合指数 = 三项年度指数的平均，再计年度加减分；季度的加减分不计入年度。",
        )
    if p.is_year or p.adjusted:
        lines += adjustment_lines(p)
    if p.is_year or p.quotas:
        lines += quota_lines(p)
    return lines


SHUANGBAODAO = "双报到"  # the sheet and the slide of reporting organisations (methodology v1.2)


def org_rank(value: object, p: Pack) -> str | int:
    """A reporting organisation's rank, or why it has none (too few reported members)."""
    if value is None or pd.isna(value):
        return f"未排名（报到党员不足 {p.points_rule.get('min_members', 3):g} 人）"
    return int(value)


def points_line(p: Pack) -> str:
    """One line on the 双报到 ranking: its rule and scope, or that the scope has no organisation."""
    r = p.points_rule
    if p.reporting_orgs is None or p.reporting_orgs.empty:
        return f"{p.scope_name}没有报到单位党组织（{period_name(p)}）。"
    return (
        f"{period_name(p)}报到单位党组织按人均正能量值排名（全市、所在区县），列出前 {len(p.reporting_orgs)} 个，"
        f"参与排名的在前；报到党员不足 {r.get('min_members', 3):g} 人的单位列出但不排名。"
        f"正能量值 = 报到党员积分（服务每次 {r.get('services', 2):g} 分、每小时 {r.get('hours', 1):g} 分、"
        f"认领办结诉求每件 {r.get('claims', 5):g} 分、5 分评价每次 {r.get('ratings_5', 1):g} 分，季度封顶 "
        f"{r.get('cap', 60):g} 分）+ 单位认领办结诉求每件 {r.get('org_claims', 10):g} 分。"
    )

"""The one message catalog: Simplified Chinese first, English by a switch.

Every piece of UI text comes from MESSAGES; a key missing in one language is a bug the
tests catch (both languages must hold the same keys).
"""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "app.title": "党建指数看板",
        "app.subtitle": "堡垒指数 · 先锋指数 · 服务指数",
        "nav.section.data": "数据",
        "nav.raw": "原始数据",
        "sidebar.language": "语言 / Language",
        "raw.title": "原始数据文件",
        "raw.intro": "下列为数据目录中的原始导出文件。原始文件只读，不会被修改。",
        "raw.none": "数据目录 {path} 中尚无原始数据。运行 `make run` 可生成演示数据，或将导出文件放入该目录。",
        "raw.kind": "类型",
        "raw.file": "文件",
        "raw.size": "大小",
        "raw.modified": "修改时间",
        "raw.total": "共 {n} 个文件，{size}",
        "kind.grids": "网格台账",
        "kind.geometry": "网格边界",
        "kind.orgs": "党组织信息",
        "kind.members": "党员花名册",
        "kind.services": "服务记录",
        "kind.demands": "群众诉求工单",
        "kind.meetings": "组织生活记录",
        "kind.other": "其他",
        "nav.section.review": "评估",
        "nav.overview": "总览",
        "filter.period": "季度",
        "filter.level": "层级",
        "level.grid": "网格",
        "level.community": "社区",
        "level.street": "街道",
        "level.district": "区县",
        "level.city": "全市",
        "score.fortress": "堡垒指数",
        "score.vanguard": "先锋指数",
        "score.service": "服务指数",
        "score.composite": "党建综合指数",
        "count.grids": "网格",
        "count.members": "计入党员",
        "count.services": "服务记录",
        "count.demands": "群众诉求",
        "overview.title": "总览 · {period}",
        "overview.run": "计算批次 {run}，方法 {version}（{hash}），{time}",
        "overview.scores": "全市指数（较上季度）",
        "overview.grades": "分类定级分布（{level}）",
        "overview.grade": "等级",
        "overview.units": "单位数",
        "overview.share": "占比",
        "overview.red": "红榜（前 {n} 名）",
        "overview.black": "黑榜（后 {n} 名）",
        "overview.yellow": "本季度黄牌 {n} 个",
        "overview.quarantine": "有 {n} 行原始记录因数据问题被隔离，未计入指数。详见“数据质量”。",
        "overview.unit": "单位",
        "overview.rank": "排名",
        "empty.title": "尚无已发布的数据",
        "empty.body": (
            "数据库 {db} 不存在或尚未计算指数。将导出文件放入 data/raw 后运行：\n\n"
            "`python -m pipelines load data/raw --db {db}`\n\n`python -m pipelines compute --db {db}`"
        ),
        "nav.rankings": "排名",
        "rankings.title": "排名 · {level} · {period}",
        "rankings.peer": "按网格类型分组排名",
        "rankings.peer_class": "网格类型",
        "rankings.rank": "排名",
        "rankings.unit": "单位",
        "rankings.code": "编码",
        "rankings.grade": "等级",
        "rankings.change": "名次变化",
        "rankings.interval": "排名区间（5%–95%）",
        "rankings.list": "榜单",
        "rankings.yellow": "黄牌",
        "rankings.csv": "下载 CSV",
        "rankings.xlsx": "下载 Excel",
        "rankings.caption": (
            "共 {n} 个单位参与排名。排名区间：各项权重在 ±25% 内随机浮动、重算 200 次，90% 的名次落在此区间。"
        ),
        "empty.demo": "载入演示数据",
        "empty.loading": "正在生成并加载演示数据……",
        "empty.failed": "载入失败：{error}",
    },
    "en": {
        "app.title": "Party-Building Index Dashboard",
        "app.subtitle": "Fortress index · Vanguard index · Service index",
        "nav.section.data": "Data",
        "nav.raw": "Raw files",
        "sidebar.language": "语言 / Language",
        "raw.title": "Raw export files",
        "raw.intro": "The raw exports in the data folder. Raw files are read-only and never modified.",
        "raw.none": "No raw data in {path} yet. Run `make run` to generate the demo data, or put exports there.",
        "raw.kind": "Kind",
        "raw.file": "File",
        "raw.size": "Size",
        "raw.modified": "Modified",
        "raw.total": "{n} files, {size}",
        "kind.grids": "Grid registry",
        "kind.geometry": "Grid boundaries",
        "kind.orgs": "Party organisations",
        "kind.members": "Member roster",
        "kind.services": "Service records",
        "kind.demands": "Resident demands",
        "kind.meetings": "Meeting records",
        "kind.other": "Other",
        "nav.section.review": "Review",
        "nav.overview": "Overview",
        "filter.period": "Quarter",
        "filter.level": "Level",
        "level.grid": "Grid",
        "level.community": "Community",
        "level.street": "Street",
        "level.district": "District",
        "level.city": "City",
        "score.fortress": "Fortress index",
        "score.vanguard": "Vanguard index",
        "score.service": "Service index",
        "score.composite": "Composite index",
        "count.grids": "Grids",
        "count.members": "Members counted",
        "count.services": "Service records",
        "count.demands": "Resident demands",
        "overview.title": "Overview · {period}",
        "overview.run": "Run {run}, methodology {version} ({hash}), {time}",
        "overview.scores": "City indices (vs previous quarter)",
        "overview.grades": "Grades ({level})",
        "overview.grade": "Grade",
        "overview.units": "Units",
        "overview.share": "Share",
        "overview.red": "Red list (top {n})",
        "overview.black": "Black list (bottom {n})",
        "overview.yellow": "{n} yellow cards this quarter",
        "overview.quarantine": "{n} raw rows are quarantined for data problems and not in any index. See Data quality.",
        "overview.unit": "Unit",
        "overview.rank": "Rank",
        "empty.title": "Nothing published yet",
        "empty.body": (
            "The database {db} does not exist or has no computed indices. Put exports in data/raw, then run:\n\n"
            "`python -m pipelines load data/raw --db {db}`\n\n`python -m pipelines compute --db {db}`"
        ),
        "nav.rankings": "Rankings",
        "rankings.title": "Rankings · {level} · {period}",
        "rankings.peer": "Rank within grid type",
        "rankings.peer_class": "Grid type",
        "rankings.rank": "Rank",
        "rankings.unit": "Unit",
        "rankings.code": "Code",
        "rankings.grade": "Grade",
        "rankings.change": "Rank change",
        "rankings.interval": "Rank interval (5%–95%)",
        "rankings.list": "List",
        "rankings.yellow": "Yellow card",
        "rankings.csv": "Download CSV",
        "rankings.xlsx": "Download Excel",
        "rankings.caption": (
            "{n} units ranked. Rank interval: the ranking redone 200 times with every weight moved up to 25% "
            "either way; 90% of the ranks fall within it."
        ),
        "empty.demo": "Load the demo data",
        "empty.loading": "Generating and loading the demo data…",
        "empty.failed": "Loading failed: {error}",
    },
}


def language() -> str:
    """The current language: query parameter `lang`, so a shared link keeps it."""
    lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    """The text for `key` in the current language, with {placeholders} filled."""
    return MESSAGES[language()][key].format(**values)

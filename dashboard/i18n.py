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
    },
}


def language() -> str:
    """The current language: query parameter `lang`, so a shared link keeps it."""
    lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    """The text for `key` in the current language, with {placeholders} filled."""
    return MESSAGES[language()][key].format(**values)

"""The global filters in the sidebar, bound to query parameters so that every view is a
shareable URL that reopens exactly."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.i18n import t

LEVELS = ("grid", "community", "street", "district", "city")


@dataclass(frozen=True)
class Filters:
    period: str
    level: str


def _bound(param: str, options: list[str], default: str) -> str:
    """The query parameter's value if it is one of the options, else the default."""
    value = st.query_params.get(param, default)
    return value if value in options else default


def sidebar(periods: list[str]) -> Filters:
    """Period (latest by default) and level (grid by default), written back to the URL."""
    with st.sidebar:
        period = st.selectbox(
            t("filter.period"), periods, index=periods.index(_bound("period", periods, periods[-1])), key="f_period"
        )
        level = st.selectbox(
            t("filter.level"),
            LEVELS,
            index=LEVELS.index(_bound("level", list(LEVELS), "grid")),
            format_func=lambda lv: t(f"level.{lv}"),
            key="f_level",
        )
    st.query_params["period"], st.query_params["level"] = period, level
    return Filters(period, level)

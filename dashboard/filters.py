"""The global filters in the sidebar — period (quarters, then years), level, scope (district → street → community),
index and grid type — bound to query parameters, so that every view is a shareable URL that
reopens exactly.

Each widget's value comes from the URL when the URL names a valid option, else from this
session, else a default; a change made in the widget is written to the URL by its callback,
before the page runs again. Values outside the options (a stale link, a typed URL) fall
back to the default and never reach a query."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.i18n import t
from pipelines.access.scope import as_unit
from pipelines.serve.periods import QUARTER, YEAR, kind
from pipelines.vocabulary import LEVELS
from pipelines.vocabulary import SCORES as INDICES  # the index picker offers the composite too

SCOPE_PARTS = ("district", "street", "community")
ALL = ""  # the option "all" of scope parts and grid type


@dataclass(frozen=True)
class Filters:
    period: str
    level: str
    scope: str  # "" for the whole city, else 区县, 区县/街道 or 区县/街道/社区
    index: str
    peer: str  # a grid type, or "" for every type (grid level only)
    label: str = ""  # the period as shown: 2025Q4, 2025年 年度考评, 2025年 年度累计（进行中）
    kind: str = QUARTER  # the period's kind: QUARTER or YEAR
    ytd: bool = False  # a year still in progress when the run was computed (年度累计)

    @property
    def is_year(self) -> bool:
        return self.kind == YEAR

    @property
    def scope_unit(self) -> tuple[str, str]:
        """The scope as a unit: (level, unit_id) — the city, a district, street or community."""
        return as_unit(self.scope)

    def params(self) -> dict[str, str]:
        """The query parameters that reopen this view."""
        out = {"period": self.period, "level": self.level, "index": self.index}
        if self.scope:
            out["scope"] = self.scope
        if self.peer:
            out["peer_class"] = self.peer
        return out


def _write(param: str, key: str) -> None:
    _put(param, st.session_state[key])


def _choose(label: str, param: str, options: Sequence[str], default: str, fmt: Callable[[str], str] = str) -> str:
    key = f"f_{param}"
    url = st.query_params.get(param)
    if url in options:
        st.session_state[key] = url
    elif st.session_state.get(key) not in options:
        st.session_state[key] = default
    value = st.selectbox(label, list(options), key=key, format_func=fmt, on_change=_write, args=(param, key))
    _put(param, value)
    return value


def _put(param: str, value: str) -> None:
    """Write a filter to the URL; "all" is the absence of the parameter."""
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]


def _or_all(label: str) -> Callable[[str], str]:
    return lambda v: v or label


def _write_scope(depth: int) -> None:
    parts = [st.session_state.get(f"f_{p}", ALL) for p in SCOPE_PARTS[: depth + 1]]
    _put_scope("/".join(p for p in parts if p))
    for deeper in SCOPE_PARTS[depth + 1 :]:  # a new district clears its street and community
        st.session_state.pop(f"f_{deeper}", None)


def _scope(tree: pd.DataFrame, floor: str = "") -> str:
    """District, street and community, each choosable once the one above is chosen. The parts
    of `floor` (the viewer's own unit) are fixed: shown, not choosable, and never "all"."""
    asked = [p for p in str(st.query_params.get("scope", "")).split("/") if p]
    fixed = [p for p in floor.split("/") if p]
    chosen: list[str] = []
    rows = tree
    for depth, part in enumerate(SCOPE_PARTS):
        if depth and not chosen[-1:]:
            break
        options = [fixed[depth]] if depth < len(fixed) else [ALL, *sorted(rows[part].unique())]
        key = f"f_{part}"
        wanted = asked[depth] if depth < len(asked) else None
        if "scope" in st.query_params:
            st.session_state[key] = wanted if wanted in options else options[0]
        elif st.session_state.get(key) not in options:
            st.session_state[key] = options[0]
        value = st.selectbox(
            t(f"filter.{part}"),
            options,
            key=key,
            format_func=_or_all(t("filter.all")),
            on_change=_write_scope,
            args=(depth,),
            disabled=depth < len(fixed),
        )
        if not value:
            break
        chosen.append(value)
        rows = rows[rows[part] == value]
    scope = "/".join(chosen)
    _put_scope(scope)
    return scope


def _put_scope(scope: str) -> None:
    _put("scope", scope)


def period_labels(run_periods: pd.DataFrame) -> dict[str, str]:
    """Each period of a run as the selector and titles show it: a quarter as written (2025Q4),
    a year as 2025年 年度考评 once over, else 2025年 年度累计（进行中）."""
    out = {}
    rows = zip(run_periods["period"], run_periods["kind"], run_periods["complete"], strict=True)
    for period, period_kind, complete in rows:
        if period_kind == YEAR:
            out[period] = t("period.year" if bool(complete) else "period.ytd", year=period)
        else:
            out[period] = period
    return out


def _latest_quarter(periods: list[str]) -> str:
    """The default period: the latest quarter (a year is chosen, not landed on)."""
    quarters = [p for p in periods if kind(p) == QUARTER]
    return quarters[-1] if quarters else periods[-1]


def sidebar(
    periods: list[str],
    tree: pd.DataFrame,
    peer_classes: Sequence[str] = (),
    floor: str = "",
    run_periods: pd.DataFrame | None = None,
) -> Filters:
    """The filters of every review page. `periods` lists the run's quarters then its years
    (`run_periods` says which year is still in progress); `tree` holds the district, street
    and community of every community in the viewer's scope `floor`; `peer_classes` the grid
    types."""
    if run_periods is None:
        run_periods = pd.DataFrame({"period": periods, "kind": QUARTER, "complete": True})
    labels = period_labels(run_periods)
    with st.sidebar:
        period = _choose(t("filter.period"), "period", periods, _latest_quarter(periods), lambda p: labels.get(p, p))
        scope = _scope(tree, floor)
        depth = len(scope.split("/")) if scope else 0
        levels = LEVELS[: len(LEVELS) - depth]  # a scope shows its own level and those below
        # Labels are looked up now, not when the widget formats them (after this run).
        level_names = {lv: t(f"level.{lv}") for lv in levels}
        level = _choose(t("filter.level"), "level", levels, "grid", level_names.__getitem__)
        index_names = {i: t(f"score.{i}") for i in INDICES}
        index = _choose(t("filter.index"), "index", INDICES, "composite", index_names.__getitem__)
        peer = ALL
        if level == "grid" and peer_classes:
            peer = _choose(t("filter.peer_class"), "peer_class", [ALL, *peer_classes], ALL, _or_all(t("filter.all")))
        elif "peer_class" in st.query_params:
            del st.query_params["peer_class"]
    row = run_periods[run_periods["period"] == period]
    kind = str(row["kind"].iloc[0]) if len(row) else QUARTER
    ytd = kind == YEAR and not bool(row["complete"].iloc[0])
    return Filters(period, level, scope, index, peer, labels.get(period, period), kind, ytd)


def period_note(f: Filters) -> None:
    """Under a page's title: that a year is still in progress (year-to-date), or that a year's
    indices are the means of its quarters' indices."""
    if f.ytd:
        st.warning(t("period.ytd_note", year=f.period), icon=":material/hourglass_top:")
    elif f.is_year:
        st.caption(t("period.year_note", year=f.period))


@dataclass(frozen=True)
class View:
    """What every review page starts from: the published files, the latest run, its
    periods (quarters, then years), and the filters chosen in the sidebar."""

    stamp: object
    run: dict
    periods: list[str]
    f: Filters


def current() -> View:
    from dashboard import data
    from dashboard.viewer import current as viewer

    s = data.stamp()
    run = data.latest_run(s)
    periods = data.periods(s, run["run_id"])
    f = sidebar(
        periods,
        data.scope_tree(s),
        data.peer_classes(s, run["run_id"]),
        viewer().scope,
        data.run_periods(s, run["run_id"]),
    )
    return View(s, run, periods, f)

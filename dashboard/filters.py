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
    """What every review page starts from: the published files, the run read for the chosen
    period (its official run, or a draft an administrator switched to), the periods offered
    (quarters, then years), the filters chosen in the sidebar, and the choice (serve.runs.Choice:
    whether the run is a draft, the period's review state)."""

    stamp: object
    run: dict
    periods: list[str]
    f: Filters
    choice: object = None  # serve.runs.Choice


def _draft_toggle() -> bool:
    """An administrator's switch to the latest computation (a draft), bound to ?draft=1."""
    key = "f_draft"
    if "draft" in st.query_params:
        st.session_state[key] = st.query_params.get("draft") == "1"
    elif key not in st.session_state:
        st.session_state[key] = False

    def write() -> None:
        _put("draft", "1" if st.session_state[key] else "")

    with st.sidebar:
        on = st.toggle(t("review.draft_toggle"), key=key, on_change=write, help=t("review.draft_help"))
    _put("draft", "1" if on else "")
    return on


def _date(value: object) -> str:
    return str(value)[:10] if value is not None else ""


def review_banner(choice, period_label: str, legacy: bool, admin: bool) -> None:
    """At the top of every review page: 草稿 when the run is not the period's official one, else
    公示中 with the notice dates (and a correction's reason) or 已发布 with its date, and the
    corrections published before."""
    status = choice.status
    if legacy:
        if admin:
            st.warning(t("review.legacy_admin", period=period_label), icon=":material/edit_note:")
        else:  # under the period selector: the procedure is not in use, nothing here claims to be official
            st.sidebar.caption(t("review.legacy", period=period_label))
        return
    if choice.draft:
        official = getattr(status, "official", None)
        key = "review.draft_over" if official is not None else "review.draft"
        st.warning(
            t(key, period=period_label, run=choice.run, official=official, state=getattr(status, "state", "草稿")),
            icon=":material/edit_note:",
        )
        return
    if status.state == "公示中":
        start, end = status.notice_start, status.notice_end
        if status.correction:
            st.info(
                t("review.notice_correction", period=period_label, start=_date(start), end=_date(end),
                  reason=status.correction),
                icon=":material/campaign:",
            )  # fmt: skip
        else:
            st.info(
                t("review.notice", period=period_label, start=_date(start), end=_date(end)), icon=":material/campaign:"
            )
    elif status.published is not None:
        st.success(
            t("review.published", period=period_label, date=_date(status.published.published_at)),
            icon=":material/verified:",
        )
    corrections = [p for p in status.history if p.reason]
    if corrections:
        with st.expander(t("review.history", n=len(corrections))):
            for p in status.history:
                st.caption(
                    t("review.history_row", date=_date(p.published_at), run=p.run, reason=p.reason or t("review.first"))
                )


def _refuse_unofficial(asked: str | None, offered: list[str], known: set[str]) -> None:
    """A unit user's URL asking for a period or run they are not offered: refused (OutOfScope,
    audited by the app), not silently replaced."""
    from dashboard.viewer import OutOfScope

    if "run" in st.query_params:
        raise OutOfScope(f"run {st.query_params.get('run')}")
    if st.query_params.get("draft") == "1":
        raise OutOfScope("draft")
    if asked and asked not in offered and asked in known:
        raise OutOfScope(f"period {asked}")


def current(draft_if_none: bool = False) -> View:
    """The page's View. `draft_if_none`: an administrator on a period without an official run
    reads the latest computation as a draft (the 加减分 page, whose forms do not depend on a
    result being official) instead of being told to switch to it."""
    from dashboard import data
    from dashboard.viewer import current as viewer

    v = viewer()
    s = data.stamp()
    latest = data.latest_run(s)
    offered = data.offered_periods(s)
    periods = list(offered["period"])
    legacy = not data.reviewing(s)
    if not v.admin:
        known = set(data.periods(s, latest["run_id"])) | set(data.official_periods(s)["period"])
        _refuse_unofficial(st.query_params.get("period"), periods, known)
    if not periods:
        st.info(t("review.nothing"))
        st.stop()
    draft = _draft_toggle() if v.admin else False
    named = st.query_params.get("run") if v.admin else None
    named_run = int(named) if named and str(named).isdigit() else None
    # The sidebar's scope tree and grid types are those of the latest run (the same units).
    f = sidebar(periods, data.scope_tree(s), data.peer_classes(s, latest["run_id"]), v.scope, offered)
    choice = data.choice(s, f.period, draft=draft, run=named_run)
    if choice.run is None and draft_if_none and v.admin:
        choice = data.choice(s, f.period, draft=True)
    if choice.run is None:  # an administrator's period with no official run yet
        st.info(t("review.no_official", period=f.label))
        st.stop()
    review_banner(choice, f.label, legacy, v.admin)
    return View(s, data.run_info(s, int(choice.run)), periods, f, choice)

"""审核与公示 Review and public notice (docs/review.md), for administrators and approvers:

1. every period's review state;
2. for a chosen period, the runs that computed it, and a candidate run's diff against the official
   one (or the publication a correction would replace): the units whose grade, rank or list changes;
3. the actions the period's state allows and the viewer's rights hold, through the register (a
   refusal, ReviewError, is shown as an error after the rerun, as the adjustments page does);
4. the period's objections with their resolution, and for an administrator a form to resolve one.

Anyone else is refused by the data layer (dashboard/review_data.py)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import review_data as rd
from dashboard.data import stamp
from dashboard.filters import period_labels
from dashboard.formatting import date, date_time
from dashboard.i18n import language, t
from dashboard.viewer import current as viewer
from pipelines.evaluation.review import MAX_NOTICE_DAYS, MAX_REASON, NOTICE, NOTICE_DAYS, REVIEW, ReviewError
from pipelines.serve.periods import QUARTER, kind
from pipelines.vocabulary import LEVELS

MESSAGE = "rvw_message"  # the outcome of the last action, shown after the rerun that lists it

v = viewer()
lang = language()
s = stamp()
states = rd.statuses(s)  # refuses (OutOfScope) a viewer who neither administers nor approves
labels = period_labels(rd.known_periods(s))


def _label(period: str) -> str:
    return labels.get(period) or (period if kind(period) == QUARTER else t("period.year", year=period))


def _state(state: str) -> str:
    return t(f"rvw.state.{state}")


def _when(value: object) -> str:
    return "—" if value is None or pd.isna(value) else date_time(pd.Timestamp(value).to_pydatetime(), lang)


def _notice(status) -> str:
    if status.notice_start is None:
        return "—"
    return t("rvw.notice_span", start=date(status.notice_start, lang), end=date(status.notice_end, lang))


def _pair(before: object, after: object) -> str:
    """old → new where they differ, else the one value (— for none)."""
    a, b = ("—" if pd.isna(x) else str(int(x)) if isinstance(x, float) else str(x) for x in (before, after))
    return b if a == b else f"{a} → {b}"


def _changes_table(rows: pd.DataFrame) -> pd.DataFrame:
    """A level's changed units: unit, then grade, composite rank and list as old → new."""
    pairs = {
        key: [_pair(a, b) for a, b in zip(rows[f"old_{col}"], rows[f"new_{col}"], strict=True)]
        for key, col in (("rvw.col.grade", "grade"), ("rvw.col.rank", "rank"), ("rvw.col.list", "list"))
    }
    return pd.DataFrame(
        {t("rvw.col.unit"): rows["unit_name"].fillna(rows["unit_id"]).tolist(), **{t(k): v for k, v in pairs.items()}}
    )


st.title(t("nav.review"))
st.caption(t("rvw.intro"))
if MESSAGE in st.session_state:
    outcome, text = st.session_state.pop(MESSAGE)
    (st.success if outcome == "ok" else st.error)(text)

if not states:
    st.info(t("rvw.none"))
    st.stop()


def _attempt(change: Callable[[], object], done: Callable[[object], str]) -> None:
    """Make a change through the register; say `done(result)`, or the register's refusal, after
    the rerun that shows the change (the register's new modification time renews the cache)."""
    try:
        result = change()
    except ReviewError as refused:
        st.session_state[MESSAGE] = ("error", str(refused))
    else:
        st.session_state[MESSAGE] = ("ok", done(result))
    st.rerun()


# --- 1. every period's state -----------------------------------------------------------------------
st.subheader(t("rvw.states"))
counts = rd.open_counts(s)
table = pd.DataFrame(
    {
        t("rvw.col.period"): [_label(x.period) for x in states],
        t("rvw.col.state"): [_state(x.state) for x in states],
        t("rvw.col.run"): [f"#{x.run}" if x.run is not None else "—" for x in states],
        t("rvw.col.submitted_by"): [x.submitted_by or "—" for x in states],
        t("rvw.col.notice"): [_notice(x) for x in states],
        t("rvw.col.published_at"): [_when(x.published.published_at) if x.published else "—" for x in states],
        t("rvw.col.corrections"): [sum(1 for p in x.history if p.reason) for x in states],
        t("rvw.col.open"): [int(counts.get(x.period, 0)) for x in states],
    }
)
st.dataframe(table, hide_index=True, key="rvw_states")

# --- 2. a period: its runs and a candidate's diff --------------------------------------------------
periods = [x.period for x in states]
waiting = [x.period for x in states if x.state == REVIEW]  # an approver lands on what awaits them
quarters = [p for p in periods if kind(p) == QUARTER]
default = waiting[0] if waiting else (quarters or periods)[-1]
period = st.selectbox(t("rvw.period"), periods, index=periods.index(default), format_func=_label, key="rvw_period")
status = rd.status(s, period)
label = _label(period)
if status.run is not None:
    st.markdown(f"**{t('rvw.period_state_run', period=label, state=_state(status.state), run=status.run)}**")
else:
    st.markdown(f"**{t('rvw.period_state', period=label, state=_state(status.state))}**")

st.subheader(t("rvw.runs"))
runs = rd.candidates(s, period)
candidate: int | None = None
if runs.empty:
    st.caption(t("rvw.runs_none", period=label))
else:
    ids = [int(r) for r in runs["run_id"]]
    published_before = status.published.run if status.published is not None else None

    def _role(run: int) -> str:
        if run == status.official:
            return t("rvw.role.official")
        if run == status.run:
            return t("rvw.role.pinned")
        if run == published_before:
            return t("rvw.role.published")
        return t("rvw.role.latest") if run == ids[0] else ""

    st.dataframe(
        pd.DataFrame(
            {
                t("rvw.col.run"): [f"#{r}" for r in ids],
                t("rvw.col.computed_at"): [_when(x) for x in runs["computed_at"]],
                t("rvw.col.version"): runs["methodology_version"].tolist(),
                t("rvw.col.config"): [str(x)[:12] for x in runs["config_hash"]],
                t("rvw.col.digest"): [str(x)[:12] for x in runs["data_digest"]],
                t("rvw.col.adjustments"): runs["adjustments"].astype(int).tolist(),
                t("rvw.col.role"): [_role(r) for r in ids],
            }
        ),
        hide_index=True,
        key="rvw_runs",
    )
    # The candidate: the run under review or on notice, else the latest computation.
    first = status.run if status.state in (REVIEW, NOTICE) and status.run in ids else ids[0]
    times = dict(zip(ids, runs["computed_at"], strict=True))
    candidate = st.selectbox(
        t("rvw.candidate"),
        ids,
        index=ids.index(first),
        format_func=lambda r: t("rvw.run_label", run=r, time=_when(times[r])),
        key=f"rvw_run_{period}",
    )
    old = rd.baseline(status, candidate)
    if old is None:
        key = "rvw.is_official" if candidate == status.official else "rvw.no_official"
        st.info(t(key, period=label, run=candidate), icon=":material/info:")
        st.caption(t("rvw.outline"))
        summary = rd.outline(s, period, candidate)
        shown = summary.assign(level=summary["level"].map(lambda lv: t(f"level.{lv}")))
        st.dataframe(
            shown.rename(columns={"level": t("rvw.col.level"), "units": t("rvw.col.units")}),
            hide_index=True,
            key="rvw_outline",
        )
    else:
        st.markdown(f"**{t('rvw.diff', new=candidate, old=old)}**")
        changes = rd.diff(s, period, old, candidate)
        if changes.empty:
            st.success(t("rvw.diff_none", new=candidate, old=old))
        else:
            counts_by_level = rd.change_counts(changes)
            st.dataframe(
                pd.DataFrame(
                    {
                        t("rvw.col.level"): [t(f"level.{lv}") for lv in counts_by_level["level"]],
                        t("rvw.col.changed"): counts_by_level["units"],
                        t("rvw.col.grade_changed"): counts_by_level["grade_changed"],
                        t("rvw.col.rank_changed"): counts_by_level["rank_changed"],
                        t("rvw.col.list_changed"): counts_by_level["list_changed"],
                    }
                ),
                hide_index=True,
                key="rvw_diff_summary",
            )

            for lv in [lv for lv in LEVELS if lv in set(changes["level"])]:
                rows = changes[changes["level"] == lv]
                with st.expander(t("rvw.level_changes", level=t(f"level.{lv}"), n=len(rows)), expanded=True):
                    st.dataframe(_changes_table(rows), hide_index=True, key=f"rvw_diff_{lv}")

# --- 3. the actions --------------------------------------------------------------------------------
st.subheader(t("rvw.actions"))
actions = rd.offered(status)
if not actions:
    st.caption(t("rvw.no_actions", period=label, state=_state(status.state)))


def _said(action: str) -> Callable[[object], str]:
    return lambda after: t(f"rvw.done.{action}", period=label, state=_state(getattr(after, "state", "")))


def _notice_inputs(prefix: str) -> tuple[int, object]:
    left, right = st.columns(2)
    days = left.number_input(
        t("rvw.notice_days"), min_value=1, max_value=MAX_NOTICE_DAYS, value=NOTICE_DAYS, step=1, key=f"{prefix}_days"
    )
    start = right.date_input(t("rvw.notice_start"), value=None, key=f"{prefix}_start")
    return int(days), start


submit_label = t("rvw.submit", run=candidate)
if (
    "submit" in actions
    and candidate is not None
    and st.button(submit_label, type="primary", key="rvw_submit", help=t("rvw.submit_help"))
):
    _attempt(lambda: rd.submit(s, period, candidate), _said("submit"))
if "approve" in actions:
    days, start = _notice_inputs("rvw_approve")
    if st.button(t("rvw.approve"), type="primary", key="rvw_approve"):
        _attempt(lambda: rd.approve(s, period, days, start), _said("approve"))
if "reject" in actions:
    why = st.text_input(t("rvw.reject_reason"), max_chars=MAX_REASON, key="rvw_reject_reason")
    if st.button(t("rvw.reject"), key="rvw_reject"):
        _attempt(lambda: rd.reject(s, period, why), _said("reject"))
if "publish" in actions:
    st.caption(t("rvw.publish_note", end=date(status.notice_end, lang), n=int(counts.get(period, 0))))
    if st.button(t("rvw.publish"), type="primary", key="rvw_publish"):
        _attempt(lambda: rd.publish(s, period), _said("publish"))
if "correct" in actions and candidate is not None:
    why_correct = st.text_input(t("rvw.correct_reason"), max_chars=MAX_REASON, key="rvw_correct_reason")
    days, start = _notice_inputs("rvw_correct")
    if st.button(t("rvw.correct", run=candidate), key="rvw_correct"):
        _attempt(lambda: rd.correct(s, period, candidate, why_correct, days, start), _said("correct"))
if "withdraw" in actions:
    why_withdraw = st.text_input(t("rvw.withdraw_reason"), max_chars=MAX_REASON, key="rvw_withdraw_reason")
    if st.button(t("rvw.withdraw"), key="rvw_withdraw"):
        _attempt(lambda: rd.withdraw(s, period, why_withdraw), _said("withdraw"))

# --- 4. the objections -----------------------------------------------------------------------------
st.subheader(t("rvw.objections"))
filed = rd.objection_list(s, period)
if filed.empty:
    st.caption(t("rvw.objections_none", period=label))
else:

    def _decision(value: object) -> str:
        return t(f"rvw.decision.{value}") if isinstance(value, str) else t("rvw.decision.open")

    st.dataframe(
        pd.DataFrame(
            {
                t("rvw.col.id"): filed["objection_id"].astype(int).tolist(),
                t("rvw.col.level"): [t(f"level.{lv}") for lv in filed["level"]],
                t("rvw.col.unit"): filed["unit_name"].fillna(filed["unit_id"]).tolist(),
                t("rvw.col.text"): filed["text"].tolist(),
                t("rvw.col.file"): filed["file_name"].fillna("").tolist(),
                t("rvw.col.filed_by"): filed["filed_by"].tolist(),
                t("rvw.col.filed_at"): [_when(x) for x in filed["filed_at"]],
                t("rvw.col.decision"): [_decision(x) for x in filed["decision"]],
                t("rvw.col.note"): filed["note"].fillna("").tolist(),
                t("rvw.col.resolved_by"): filed["resolved_by"].fillna("").tolist(),
                t("rvw.col.resolved_at"): [_when(x) for x in filed["resolved_at"]],
            }
        ),
        hide_index=True,
        key="rvw_objections",
    )
    still_open = filed[filed["decision"].isna()]
    if v.admin and not still_open.empty:
        st.markdown(f"**{t('rvw.resolve')}**")
        names = dict(zip(still_open["objection_id"].astype(int), still_open["unit_name"], strict=True))
        chosen = st.selectbox(
            t("rvw.resolve_pick"), list(names), format_func=lambda i: f"#{i} · {names[i]}", key="rvw_resolve_pick"
        )
        accept = st.radio(
            t("rvw.resolve_decision"),
            [True, False],
            format_func=lambda yes: t("rvw.decision.accept" if yes else "rvw.decision.reject"),
            horizontal=True,
            key="rvw_resolve_accept",
        )
        note = st.text_area(t("rvw.resolve_note"), max_chars=2000, key="rvw_resolve_note")
        if st.button(t("rvw.resolve_do"), key="rvw_resolve"):
            _attempt(lambda: rd.resolve(s, int(chosen), bool(accept), note), lambda _: t("rvw.done.resolve", id=chosen))

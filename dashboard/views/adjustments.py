"""加减分 Adjustments: the evaluation register's bonus (加分), deduction (扣分) and one-vote veto
(一票否决) entries (methodology v1.1), within the viewer's scope.

- A user with `admin` enters one: unit (of those in scope), period, kind, points, reason and
  an optional evidence file. It is pending (待审批) until another user approves it.
- A user with `approve` approves or rejects (with a reason) the pending entries in scope; a
  user with `admin` or `approve` revokes an approved entry (with a reason).
- Everyone else sees the approved entries (已生效) concerning units in scope.

An approved entry counts from the next computation (`python -m pipelines compute`): each entry
says whether the run the page shows for the period chosen in the sidebar (its official run, or
an administrator's draft: filters.current) applied it. Every change is written by the register, which audits
it; a refusal (AdjustmentError) is shown as an error, an entry outside the scope is refused by
the data layer (dashboard/data.py) like any other data."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import data, tables
from dashboard.filters import current, period_labels
from dashboard.formatting import date_time
from dashboard.i18n import language, t
from dashboard.viewer import current as viewer
from pipelines.evaluation.adjustments import APPROVED, PENDING, STATES, AdjustmentError
from pipelines.vocabulary import ADJUSTMENT_KINDS, DEDUCTION, LEVELS, VETO

MESSAGE = "adj_message"  # the outcome of the last action, shown after the rerun that lists it

v = viewer()
lang = language()
view = current(draft_if_none=True)  # the run shown for the chosen period: what "applied" is said of
s, shown_run = view.stamp, view.run
run = data.latest_run(s)  # entries are entered against the latest computation's periods and units
periods = data.periods(s, run["run_id"])
labels = period_labels(data.run_periods(s, run["run_id"]))

st.title(t("adjust.title"))
st.caption(t("adjust.intro"))
applied = data.run_adjustments(s, int(shown_run["run_id"]))
st.info(
    t(
        "adjust.next_compute",
        run=shown_run["run_id"],
        time=date_time(shown_run["computed_at"], lang),
        n=len(applied),
    ),
    icon=":material/info:",
)
if MESSAGE in st.session_state:
    kind, text = st.session_state.pop(MESSAGE)
    (st.success if kind == "ok" else st.error)(text)


def _attempt(change: Callable[[], int | None], done: str, entry: object = None) -> None:
    """Make a change to the register; say `done` (of `entry`, or of the new entry's id that
    the change returns), or the register's refusal, after the rerun that shows the change."""
    try:
        new = change()
    except AdjustmentError as refused:
        st.session_state[MESSAGE] = ("error", str(refused))
    else:
        st.session_state[MESSAGE] = ("ok", t(done, id=entry if entry is not None else new))
    st.rerun()


def _entry_label(rows, adjustment_id: int) -> str:
    row = rows[rows["adjustment_id"] == adjustment_id].iloc[0]
    return (
        f"#{adjustment_id} · {row['unit_name'] or row['unit_id']} · {row['period']} · {row['kind']} {row['points']:+g}"
    )


# --- enter (admin) ---------------------------------------------------------------------------
if v.admin:
    st.subheader(t("adjust.enter"))
    depth = len(v.scope.split("/")) if v.scope else 0
    levels = LEVELS[: len(LEVELS) - depth]  # the viewer's own level and those below
    left, right = st.columns(2)
    level = left.selectbox(t("adjust.level"), levels, format_func=lambda lv: t(f"level.{lv}"), key="adj_level")
    period = right.selectbox(
        t("filter.period"),
        periods,
        index=len([p for p in periods if "Q" in p]) - 1,
        format_func=labels.get,
        key="adj_period",
    )
    units = data.unit_scores(s, run["run_id"], period, level)
    names = dict(zip(units["unit_id"], units["unit_name"], strict=True))
    unit = st.selectbox(
        t("adjust.unit"),
        list(names),
        format_func=lambda u: names[u] if names[u] == u else f"{names[u]}（{u}）",
        key="adj_unit",
    )
    left, right = st.columns(2)
    kind = left.radio(t("adjust.kind"), ADJUSTMENT_KINDS, horizontal=True, key="adj_kind")
    size = right.number_input(
        t("adjust.points_size"),
        min_value=0.0,
        max_value=100.0,
        value=0.0 if kind == VETO else 1.0,
        step=0.5,
        disabled=kind == VETO,
        help=t("adjust.points_help"),
        key="adj_points",
    )
    reason = st.text_area(t("adjust.reason"), key="adj_reason", max_chars=500)
    evidence = st.file_uploader(t("adjust.evidence_upload"), key="adj_evidence")
    if st.button(t("adjust.submit"), type="primary", key="adj_submit", disabled=unit is None):
        points = 0.0 if kind == VETO else (-size if kind == DEDUCTION else size)
        _attempt(
            lambda: data.add_adjustment(
                s,
                level=level,
                unit_id=unit,
                period=period,
                kind=kind,
                points=points,
                reason=reason,
                evidence_name=evidence.name if evidence is not None else None,
                evidence_bytes=evidence.getvalue() if evidence is not None else None,
            ),
            "adjust.added",
        )

# --- decide (approve) ------------------------------------------------------------------------
if v.approve:
    st.subheader(t("adjust.pending"))
    pending = data.adjustment_entries(s, state=PENDING)
    if pending.empty:
        st.caption(t("adjust.none_pending"))
    else:
        chosen = st.selectbox(
            t("adjust.pick"),
            pending["adjustment_id"].tolist(),
            format_func=lambda i: _entry_label(pending, i),
            key="adj_pending",
        )
        own = pending.loc[pending["adjustment_id"] == chosen, "entered_by"].iloc[0] == v.name
        if own:
            st.caption(t("adjust.own"))
        left, right = st.columns([1, 2])
        if left.button(t("adjust.approve"), type="primary", key="adj_approve", disabled=own):
            _attempt(lambda: data.approve_adjustment(s, int(chosen)), "adjust.approved_done", chosen)
        why = right.text_input(t("adjust.reject_reason"), key="adj_reject_reason")
        if right.button(t("adjust.reject"), key="adj_reject"):
            _attempt(lambda: data.reject_adjustment(s, int(chosen), why), "adjust.rejected_done", chosen)

# --- revoke (admin or approve) ---------------------------------------------------------------
if v.admin or v.approve:
    approved = data.adjustment_entries(s, state=APPROVED)
    if not approved.empty:
        with st.expander(t("adjust.revoke_title")):
            chosen = st.selectbox(
                t("adjust.pick"),
                approved["adjustment_id"].tolist(),
                format_func=lambda i: _entry_label(approved, i),
                key="adj_revoke_pick",
            )
            why = st.text_input(t("adjust.revoke_reason"), key="adj_revoke_reason")
            if st.button(t("adjust.revoke"), key="adj_revoke"):
                _attempt(lambda: data.revoke_adjustment(s, int(chosen), why), "adjust.revoked_done", chosen)

# --- the register ----------------------------------------------------------------------------
st.subheader(t("adjust.register"))
if not (v.admin or v.approve):
    st.caption(t("adjust.approved_only"))
entries = data.adjustment_entries(s)
if entries.empty:
    st.caption(t("adjust.none"))
else:
    shown = st.multiselect(t("adjust.state"), STATES, format_func=lambda x: t(f"adjust.state.{x}"), key="adj_states")
    if shown:
        entries = entries[entries["state"].isin(shown)]
    in_run = {int(i) for i in applied["adjustment_id"]}
    latest = int(shown_run["run_id"]) == int(run["run_id"])  # else the column names the run it is about
    applied_by = None if latest else t("packx.in_run", run=shown_run["run_id"])
    st.dataframe(tables.register_entries(entries, lang, in_run, applied_by), hide_index=True)
    st.caption(t("adjust.in_run_help", run=shown_run["run_id"]))

"""整改跟踪 Rectification follow-up: the items that publication made of the units on a period's
rectification list (docs/review.md), within the viewer's scope, filterable by period and status.

- Anyone whose scope holds an item's unit reports on it: measures, progress (整改中, 已完成) and
  an evidence file.
- An administrator confirms an item reported 已完成 (销号).

The status (逾期 included) is the register's (pipelines/evaluation/rectification.py), as is
every change, which it audits; a refusal is shown as an error in its own words."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import auth, data
from dashboard import followup_data as follow
from dashboard.formatting import date, date_time
from dashboard.i18n import language, t
from dashboard.viewer import current as viewer
from pipelines.evaluation.rectification import CONFIRMED, DONE, REPORTED, STATUSES

MESSAGE = "rect_message"  # the outcome of the last action, shown after the rerun that lists it
ALL = ""

v = viewer()
lang = language()
s = data.stamp()

st.title(t("rect.title"))
st.caption(t("rect.intro"))
if MESSAGE in st.session_state:
    kind, text = st.session_state.pop(MESSAGE)
    (st.success if kind == "ok" else st.error)(text)


def _attempt(change: Callable[[], dict], done: str, item_id: int, clear: tuple[str, ...] = ()) -> None:
    """Make a change to the register; say `done` of the item (with its new status), or the
    register's refusal, after the rerun that shows the change. On success the inputs in `clear`
    are emptied."""
    try:
        item = change()
    except follow.ReviewError as refused:
        st.session_state[MESSAGE] = ("error", str(refused))
    else:
        st.session_state[MESSAGE] = ("ok", t(done, id=item_id, status=t(f"rect.status.{item['status']}")))
        for key in clear:
            st.session_state.pop(key, None)
    st.rerun()


def _weakest(value: object) -> str:
    """The weakest indicators (JSON from the register) as 指标名（失 x.x 分）, joined."""
    if not isinstance(value, str) or not value:
        return "—"
    shown = []
    for i in json.loads(value):
        name = i.get("name") or i.get("code")
        shown.append(t("rect.weakest_item", name=name, lost=f"{i['lost']:.1f}") if i.get("lost") is not None else name)
    return "、".join(shown) or "—"


def _when(by: object, at: object) -> str:
    return "—" if by is None or pd.isna(by) else f"{by} · {date_time(at, lang)}"


def _label(rows: pd.DataFrame, item_id: int) -> str:
    row = rows[rows["item_id"] == item_id].iloc[0]
    return f"#{item_id} · {row['unit_name'] or row['unit_id']} · {row['period']} · {t(f'rect.status.{row.status}')}"


def _table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("rect.id"): rows["item_id"].astype(int).to_numpy(),
            t("filter.period"): rows["period"].to_numpy(),
            t("adjust.level"): [t(f"level.{lv}") for lv in rows["level"]],
            t("rankings.unit"): rows["unit_name"].fillna(rows["unit_id"]).to_numpy(),
            t("rect.reasons"): rows["reasons"].to_numpy(),
            t("rect.weakest"): [_weakest(w) for w in rows["weakest"]],
            t("rect.organisation"): rows["organisation"].fillna("—").to_numpy(),
            t("rect.deadline"): [date(d, lang) for d in rows["deadline"]],
            t("rect.measures"): rows["measures"].fillna("").to_numpy(),
            t("rect.status"): [t(f"rect.status.{x}") for x in rows["status"]],
            t("rect.evidence"): rows["evidence_name"].fillna("—").to_numpy(),
            t("rect.updated"): [date_time(x, lang) if pd.notna(x) else "—" for x in rows["updated_at"]],
            t("rect.confirmed"): [_when(b, a) for b, a in zip(rows["confirmed_by"], rows["confirmed_at"], strict=True)],
        }
    )


items = follow.rectification_items(s)
if items.empty:
    st.info(t("rect.none"))
    st.stop()

# --- the items ---------------------------------------------------------------------------------
left, right = st.columns(2)
periods = sorted(items["period"].unique(), key=lambda p: (len(p) == 4, p), reverse=True)
period = left.selectbox(
    t("filter.period"), [ALL, *periods], format_func=lambda p: p or t("filter.all"), key="rect_period"
)
status = right.selectbox(
    t("rect.status"),
    [ALL, *STATUSES],
    format_func=lambda x: t(f"rect.status.{x}") if x else t("filter.all"),
    key="rect_status",
)
shown = items[(items["period"] == period) if period else items["period"].notna()]
shown = shown[shown["status"] == status] if status else shown
st.caption(t("rect.count", n=len(shown), late=int(shown["overdue"].sum())))
if shown.empty:
    st.caption(t("rect.none_filtered"))
else:
    st.dataframe(_table(shown), hide_index=True)
    with_evidence = shown[shown["evidence_sha256"].notna()]
    if len(with_evidence):
        with st.expander(t("rect.downloads")):
            for item in with_evidence.itertuples():
                auth.download(
                    t("rect.download", id=int(item.item_id), name=item.evidence_name),
                    follow.item_evidence(s, int(item.item_id)),
                    item.evidence_name,
                    "application/octet-stream",
                    what="rectification_evidence",
                    rows=1,
                    scope=item.unit_path,
                    key=f"rect_evidence_{item.item_id}",
                    detail={"item_id": int(item.item_id), "sha256": item.evidence_sha256},
                    event="evidence_downloaded",
                )

# --- report progress (anyone whose scope holds the unit: every item listed here) -----------------
st.subheader(t("rect.update"))
open_items = items[items["status"] != CONFIRMED]
if open_items.empty:
    st.caption(t("rect.nothing_open"))
else:
    chosen = st.selectbox(
        t("rect.pick"),
        open_items["item_id"].astype(int).tolist(),
        format_func=lambda i: _label(open_items, i),
        key="rect_pick",
    )
    measures = st.text_area(t("rect.measures"), key="rect_measures", max_chars=2000, help=t("rect.measures_help"))
    progress = st.radio(
        t("rect.new_status"),
        [ALL, *REPORTED],
        format_func=lambda x: t(f"rect.status.{x}") if x else t("rect.keep_status"),
        horizontal=True,
        key="rect_new_status",
    )
    evidence = st.file_uploader(t("rect.evidence_upload"), key="rect_evidence")
    if st.button(t("rect.submit"), type="primary", key="rect_submit"):
        _attempt(
            lambda: follow.update_item(
                s,
                int(chosen),
                measures=measures if measures.strip() else None,
                status=progress or None,
                evidence_name=evidence.name if evidence is not None else None,
                evidence_bytes=evidence.getvalue() if evidence is not None else None,
            ),
            "rect.updated_done",
            int(chosen),
            clear=("rect_measures", "rect_new_status", "rect_evidence"),
        )

# --- confirm (administrators) -------------------------------------------------------------------
if v.admin:
    st.subheader(t("rect.confirm_title"))
    done = items[items["status"] == DONE]
    if done.empty:
        st.caption(t("rect.none_done"))
    else:
        confirming = st.selectbox(
            t("rect.pick"),
            done["item_id"].astype(int).tolist(),
            format_func=lambda i: _label(done, i),
            key="rect_confirm_pick",
        )
        if st.button(t("rect.confirm"), type="primary", key="rect_confirm"):
            _attempt(lambda: follow.confirm_item(s, int(confirming)), "rect.confirmed_done", int(confirming))

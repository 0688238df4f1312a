"""党员 Members: vanguard scores and tiers of the members in scope, the top members, those
never active this quarter, and one member's identity (ID number and phone masked, name as
the viewer may see it) and history."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboard import data, tables
from dashboard.filters import current, period_note
from dashboard.formatting import count, score
from dashboard.i18n import language, t
from dashboard.viewer import current as viewer
from pipelines.serve.periods import kind as period_kind

LISTED = 50

view = current()
s, run, f = view.stamp, view.run, view.f
lang = language()
st.title(t("members.title", scope=f.scope or t("level.city"), period=f.label))
period_note(f)
if f.is_year:
    st.caption(t("members.year"))

summary = data.member_summary(s, run["run_id"], f.period, f.scope)
total = int(summary["members"].sum())
inactive = int(summary["inactive"].sum())
cols = st.columns(3)
cols[0].metric(t("members.counted"), count(total, lang))
weighted = (summary["mean_score"].fillna(0) * summary["members"]).sum() / total if total else None
cols[1].metric(t("members.mean"), score(weighted))
cols[2].metric(t("members.inactive"), count(inactive, lang), f"{inactive / total:.1%}" if total else None, "off")

left, right = st.columns([2, 3])
with left:
    st.subheader(t("members.tiers"))
    st.dataframe(tables.member_tiers(summary), hide_index=True)
with right:
    st.subheader(t("members.distribution"))
    bands = data.member_scores_hist(s, run["run_id"], f.period, f.scope)
    fig = px.bar(bands, x="band", y="members", labels={"band": t("members.score"), "members": t("members.count")})
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, bargap=0.05)
    st.plotly_chart(fig, key="member_bands")

st.subheader(t("members.top", n=LISTED))
st.caption(t("profile.names_shown" if viewer().show_names else "profile.masked"))
top = data.member_list(s, run["run_id"], f.period, f.scope, "top", LISTED)
event = st.dataframe(tables.members(top), hide_index=True, on_select="rerun", selection_mode="single-row", key="m_top")
st.subheader(t("members.never", n=count(inactive, lang)))
idle = data.member_list(s, run["run_id"], f.period, f.scope, "inactive", LISTED)
idle_event = st.dataframe(
    tables.members(idle), hide_index=True, on_select="rerun", selection_mode="single-row", key="m_idle"
)

# One member's history: from a click in either list, or the URL (?member=N).
for chosen, rows in ((event, top), (idle_event, idle)):
    if chosen.selection.rows:
        st.query_params["member"] = str(int(rows["member_no"].iloc[chosen.selection.rows[0]]))
asked = st.query_params.get("member", "")
if asked.isdigit() and len(asked) <= 9:
    history = data.member_history(s, data.history_runs(s, view.choice), int(asked), f.scope)
    history = history[history["period"].map(period_kind) == f.kind]  # their quarters, or their years
    who = data.member_identity(s, int(asked), f.scope)
    st.subheader(t("members.history", member=asked))
    if history.empty and who is None:
        st.info(t("members.not_in_scope"))
    else:
        if who is not None:
            st.dataframe(tables.member_identity(who), hide_index=True)
        st.dataframe(tables.member_history(history), hide_index=True)
else:
    st.caption(t("members.pick"))

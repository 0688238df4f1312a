"""党员 Members: vanguard scores and tiers of the members in scope, the top members, those
never active this quarter, and one member's file (一人一档): identity (ID number and phone
masked, name as the viewer may see it), vanguard scores by period, the 正能量值 ledger by
source and quarter, year to date and tier, and recent services and claimed demands."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data, tables
from dashboard.filters import current, period_note
from dashboard.formatting import count, date, score
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


def _ledger_table(ledger: pd.DataFrame) -> pd.DataFrame:
    """The points ledger as shown: each source's count and points, before and after the cap."""
    columns = {t("mf.period"): ledger["period"].to_numpy()}
    for source in ("services", "hours", "claims", "ratings_5"):
        columns[t(f"mf.n.{source}")] = ledger[source].to_numpy()
        columns[t(f"mf.p.{source}")] = ledger[f"{source}_points"].astype(float).to_numpy()
    columns[t("mf.raw")] = ledger["points_raw"].astype(float).to_numpy()
    columns[t("mf.capped")] = (-ledger["capped_off"].astype(float)).to_numpy()
    columns[t("mf.period_points")] = ledger["points"].astype(float).to_numpy()
    columns[t("mf.ytd_col")] = ledger["points_ytd"].astype(float).to_numpy()
    columns[t("mf.tier")] = ledger["tier"].to_numpy()
    columns[t("mf.org")] = ledger["reporting_org"].fillna(ledger["reporting_org_id"]).fillna("—").to_numpy()
    return pd.DataFrame(columns)


def member_file(member_no: int) -> None:
    """一人一档: the member's 正能量值 ledger by source and period (each period from its own run),
    the year to date and tier of the chosen period, recent services and claimed demands."""
    ledger = data.member_ledger(s, data.history_runs(s, view.choice), member_no, f.scope)
    st.markdown(f"**{t('mf.points')}**")
    if ledger is None:
        st.caption(t("mf.no_points"))
    elif ledger.empty:
        st.caption(t("mf.no_rows"))
    else:
        rule = data.points_rule(s, run["run_id"])
        st.caption(
            t("mf.points_help", service=rule["services"], hour=rule["hours"], claim=rule["claims"],
              rating=rule["ratings_5"], cap=rule["cap"])
        )  # fmt: skip
        # The chosen period's row, else the member's latest period up to it: year to date and tier.
        same_year = ledger[ledger["period"].str[:4] == f.period[:4]]
        quarters = same_year["period"].str.contains("Q") & (same_year["period"] <= f.period)
        upto = same_year[same_year["period"] == f.period] if f.is_year else same_year[quarters]
        now = upto.iloc[-1] if len(upto) else None
        cols = st.columns(3)
        cols[0].metric(t("mf.ytd", year=f.period[:4]), score(now["points_ytd"]) if now is not None else "—")
        cols[1].metric(t("mf.tier"), now["tier"] if now is not None else "—")
        org = now["reporting_org"] if now is not None and isinstance(now["reporting_org"], str) else None
        cols[2].metric(t("mf.org"), org or t("mf.no_org"))
        number = st.column_config.NumberColumn(format="%.1f")
        shown = _ledger_table(ledger)
        st.dataframe(
            shown,
            hide_index=True,
            key="mf_ledger",
            column_config={c: number for c in shown.columns if shown[c].dtype == float},
        )
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('mf.recent_services')}**")
        done = data.member_services(s, member_no, f.period, f.scope)
        if done.empty:
            st.caption(t("mf.none"))
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        t("records.date"): [date(v, lang) for v in done["service_date"]],
                        t("records.grid"): done["grid_name"].to_numpy(),
                        t("records.category"): done["category"].to_numpy(),
                        t("records.hours"): done["hours"].to_numpy(),
                        t("records.rating"): done["rating"].to_numpy(),
                    }
                ),
                hide_index=True,
                key="mf_services",
            )
    with right:
        st.markdown(f"**{t('mf.recent_demands')}**")
        claimed = data.member_demands(s, member_no, f.period, f.scope)
        if claimed.empty:
            st.caption(t("mf.none"))
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        t("mf.ticket"): claimed["ticket_id"].to_numpy(),
                        t("records.reported"): [date(v, lang) for v in claimed["reported_at"]],
                        t("records.grid"): claimed["grid_name"].to_numpy(),
                        t("records.category"): claimed["category"].to_numpy(),
                        t("records.resolved"): [date(v, lang) for v in claimed["resolved_at"]],
                        t("records.satisfaction"): claimed["satisfaction"].to_numpy(),
                    }
                ),
                hide_index=True,
                key="mf_demands",
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
    st.subheader(t("mf.title", member=asked))
    if history.empty and who is None:
        st.info(t("members.not_in_scope"))
    else:
        if who is not None:
            st.dataframe(tables.member_identity(who), hide_index=True)
        st.markdown(f"**{t('mf.vanguard')}**")
        st.dataframe(tables.member_history(history), hide_index=True)
        member_file(int(asked))
else:
    st.caption(t("members.pick"))

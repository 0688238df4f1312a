"""双报到 Dual reporting: the reporting organisations (报到单位党组织) in scope ranked by 人均正能量值
as the run the page shows published them (ranked ones first; those with too few reported members
listed, not ranked), each with its quarterly trend (each quarter from its own official run), and
a click-through (a row, the picker, or ?org=) to its members living in the scope (names as the
viewer may see them) and the communities they serve."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data
from dashboard.filters import current, period_note
from dashboard.formatting import count, score
from dashboard.i18n import language, t
from dashboard.viewer import current as viewer

view = current()
s, run, f = view.stamp, view.run, view.f
run_id = int(run["run_id"])
lang = language()
st.title(t("sbd.title", scope=f.scope or t("level.city"), period=f.label))
period_note(f)

orgs = data.reporting_orgs(s, run_id, f.period, f.scope)
if orgs is None:  # a run computed before methodology v1.2
    st.info(t("sbd.no_points", run=run_id))
    st.stop()
least = int(data.points_rule(s, run_id)["min_members"])
st.caption(t("sbd.intro", n=least))
if orgs.empty:
    st.info(t("sbd.none"))
    st.stop()

cols = st.columns(4)
cols[0].metric(t("sbd.orgs"), count(len(orgs), lang))
cols[1].metric(t("sbd.ranked"), count(int(orgs["ranked"].sum()), lang))
reported = int(orgs["members"].sum())
cols[2].metric(t("sbd.reported"), count(reported, lang))
cols[3].metric(t("sbd.mean"), score(orgs["points"].sum() / reported if reported else None))

trend = data.org_trend(s, data.history_runs(s, view.choice), run_id, f.period, f.scope)
series = trend.groupby("org_id")["points_per_member"].apply(lambda v: [None if pd.isna(x) else float(x) for x in v])
not_ranked = t("sbd.not_ranked", n=least)


def _rank(value: object) -> str:
    return not_ranked if value is None or pd.isna(value) else str(int(value))


table = pd.DataFrame(
    {
        t("sbd.city_rank"): [_rank(r) for r in orgs["city_rank"]],
        t("sbd.district_rank"): [_rank(r) if not pd.isna(r) else "—" for r in orgs["district_rank"]],
        t("sbd.org"): orgs["org_name"].to_numpy(),
        t("sbd.district"): orgs["district"].to_numpy(),
        t("sbd.reported"): orgs["members"].astype(int).to_numpy(),
        t("sbd.services"): orgs["services"].astype(int).to_numpy(),
        t("sbd.hours"): orgs["hours"].astype(float).to_numpy(),
        t("sbd.claimed"): orgs["claimed_demands"].astype(int).to_numpy(),
        t("sbd.points"): orgs["points"].astype(float).to_numpy(),
        t("sbd.per_member"): orgs["points_per_member"].astype(float).to_numpy(),
        t("sbd.trend"): [series.get(o, []) for o in orgs["org_id"]],
    }
)
event = st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="sbd_table",
    column_config={
        t("sbd.hours"): st.column_config.NumberColumn(format="%.1f"),
        t("sbd.points"): st.column_config.NumberColumn(format="%.1f"),
        t("sbd.per_member"): st.column_config.NumberColumn(format="%.1f"),
        t("sbd.trend"): st.column_config.LineChartColumn(),
    },
)
st.caption(t("sbd.click"))

# The organisation shown below: a click in the table, else ?org=, else the first.
names = dict(zip(orgs["org_id"], orgs["org_name"], strict=True))
if event.selection.rows:
    st.query_params["org"] = str(orgs["org_id"].iloc[event.selection.rows[0]])
asked = st.query_params.get("org")
if asked in names:
    st.session_state["sbd_org"] = asked
elif st.session_state.get("sbd_org") not in names:
    st.session_state["sbd_org"] = next(iter(names))


def _write_org() -> None:
    st.query_params["org"] = st.session_state["sbd_org"]


org = st.selectbox(
    t("sbd.pick"), list(names), key="sbd_org", format_func=lambda o: f"{names[o]}（{o}）", on_change=_write_org
)
st.query_params["org"] = org
row = orgs.set_index("org_id").loc[org]
st.subheader(t("sbd.detail", org=row["org_name"], code=org))
cols = st.columns(4)
cols[0].metric(t("sbd.city_rank"), _rank(row["city_rank"]))
cols[1].metric(t("sbd.district_rank"), _rank(row["district_rank"]) if not pd.isna(row["district_rank"]) else "—")
cols[2].metric(t("sbd.per_member"), score(row["points_per_member"]))
cols[3].metric(t("sbd.points"), score(row["points"]))

mine = trend[trend["org_id"] == org]
if len(mine) > 1:
    fig = px.line(mine, x="period", y="points_per_member", markers=True, labels={"period": "", "points_per_member": ""})
    fig.update_layout(height=240, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title=t("sbd.trend_title"))
    st.plotly_chart(fig, key="sbd_trend")

members = data.org_members(s, run_id, f.period, org, f.scope)
st.markdown(f"**{t('sbd.members', n=len(members))}**")
st.caption(t("profile.names_shown" if viewer().show_names else "profile.masked"))
if int(row["members"]) > len(members):
    st.caption(t("sbd.members_outside", n=int(row["members"]) - len(members)))
st.dataframe(
    pd.DataFrame(
        {
            t("members.no"): members["member_no"].astype(int).to_numpy(),
            t("records.member"): members["name"].fillna("").to_numpy(),
            t("sbd.community"): members["community"].to_numpy(),
            t("records.grid"): members["grid_name"].to_numpy(),
            t("sbd.services"): members["services"].astype(int).to_numpy(),
            t("sbd.hours"): members["hours"].astype(float).to_numpy(),
            t("mf.claims"): members["claims"].astype(int).to_numpy(),
            t("mf.period_points"): members["points"].astype(float).to_numpy(),
            t("mf.ytd_col"): members["points_ytd"].astype(float).to_numpy(),
            t("mf.tier"): members["tier"].to_numpy(),
        }
    ),
    hide_index=True,
    key="sbd_members",
)
st.markdown(f"**{t('sbd.communities')}**")
places = data.org_communities(s, run_id, f.period, org, f.scope)
if places.empty:
    st.caption(t("sbd.no_communities"))
else:
    st.dataframe(
        pd.DataFrame(
            {
                t("sbd.community"): places["community"].str.replace("/", " · ").to_numpy(),
                t("sbd.member_count"): places["members"].astype(int).to_numpy(),
                t("sbd.services"): places["services"].astype(int).to_numpy(),
                t("sbd.hours"): places["hours"].astype(float).to_numpy(),
                t("sbd.claimed"): places["claimed_demands"].astype(int).to_numpy(),
            }
        ),
        hide_index=True,
        key="sbd_places",
    )

"""地图 Map: the chosen index of every unit of a level within the scope, coloured on the unit's
boundary (the loader's mart unit_geometry). Hover shows the four indices and the grade; a
click opens the unit's profile.

Nothing is fetched from outside the dashboard: the figure (dashboard/map_figure.py, shared
with the big screen) has a plain white-bg style (no tiles, no fonts, no sprites) and carries
the boundaries itself."""

from __future__ import annotations

import streamlit as st

from dashboard import data, links
from dashboard.filters import current, period_note
from dashboard.i18n import t
from dashboard.map_figure import SCORES, figure
from dashboard.viewer import current as viewer

view = current()
s, run, f = view.stamp, view.run, view.f
# The city is one polygon in one colour: its districts say more, and a click opens one of them.
level = "district" if f.level == "city" else f.level

st.title(t("map.title", level=t(f"level.{f.level}"), period=f.label))
period_note(f)
if f.level == "city":
    st.info(t("map.city"))
shapes = data.unit_geometry(s, level, f.scope)
if shapes is None:
    st.info(t("map.no_geometry"))
    st.stop()
if not shapes["geojson"]["features"]:
    st.info(t("map.none"))
    st.stop()

labels = (t(f"score.{f.index}"), *(t(f"score.{k}") for k in SCORES), t("map.grade"))
fig = figure(s, level, f.scope, viewer().scope, run["run_id"], f.period, f.index, labels)
event = st.plotly_chart(
    fig,
    key="map_chart",
    on_select="rerun",
    selection_mode="points",
    config={"displaylogo": False, "scrollZoom": True},
)

# A click selects a unit: open its profile. The unit last opened is remembered until the
# selection is cleared, so a selection the chart still holds on return does not bounce back.
shown = {feature["id"] for feature in shapes["geojson"]["features"]}
points = event.selection.points if event else []
chosen = next((p["location"] for p in points if p.get("location") in shown), None)
if chosen is None:
    st.session_state.pop("map_opened", None)
elif st.session_state.get("map_opened") != (level, chosen):
    st.session_state["map_opened"] = (level, chosen)
    links.open_profile(f, level, chosen)

st.caption(t("map.caption", index=t(f"score.{f.index}")))
units = data.unit_scores(s, run["run_id"], f.period, level, f.scope)
if missing := len(set(units["unit_id"]) - shown):
    st.caption(t("map.missing", n=missing))

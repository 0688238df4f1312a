"""地图 Map: the chosen index of every unit of a level within the scope, coloured on the unit's
boundary (the loader's mart unit_geometry). Hover shows the four indices and the grade; a
click opens the unit's profile.

Nothing is fetched from outside the dashboard: the map style is white-bg (a plain background,
no tiles, no fonts, no sprites) and the boundaries travel inside the figure."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, links
from dashboard.filters import current
from dashboard.formatting import score
from dashboard.i18n import t
from dashboard.viewer import current as viewer

SCORES = ("composite", "fortress", "vanguard", "service")
# Sequential, light to dark red: in these meetings red is the colour of the top list (红榜).
SCALE = "YlOrRd"
NOT_SCORED = "#d0d0d0"
OUTSIDE = "#efefef"  # units outside the viewer's scope: lighter than unscored ones, never coloured
HEIGHT = 600


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


@st.cache_resource(show_spinner=False, max_entries=16)  # about 2 MB each for a city's grids
def _figure(
    s: data.Stamp,
    level: str,
    scope: str,
    floor: str,
    run: int,
    period: str,
    index: str,
    labels: tuple[str, ...],
) -> go.Figure:
    """The map of one view, built once and shared (cache_resource: a cached figure is not
    copied on every rerun, a copy would cost as much as building it; streamlit only reads it).
    Keyed on the stamp, so a new load or computation builds a new one, and on the viewer's
    own scope `floor` (whose neighbours are drawn grey, without data)."""
    shapes = data.unit_geometry(s, level, scope)
    outside = data.outside_geometry(s)
    units = data.unit_scores(s, run, period, level, scope)
    frame = pd.DataFrame({"unit_id": [feature["id"] for feature in shapes["geojson"]["features"]]})
    frame = frame.merge(units[["unit_id", "unit_name", "grade", *SCORES]], on="unit_id", how="left")
    # Hover text formatted here, as everywhere in the dashboard: one decimal, a dash where missing.
    custom = pd.DataFrame(
        {
            "name": frame["unit_name"].fillna(frame["unit_id"]),
            **{f"hover_{k}": frame[k].map(score) for k in SCORES},
            "grade": frame["grade"].fillna("—"),
        }
    )
    index_label, *score_labels, grade_label = labels
    hover = (
        "<b>%{customdata[0]}</b><br>"
        + "<br>".join(f"{label}: %{{customdata[{i + 1}]}}" for i, label in enumerate(score_labels))
        + f"<br>{grade_label}: %{{customdata[5]}}<extra></extra>"
    )
    scored = frame[index].notna().to_numpy()
    features = shapes["geojson"]["features"]
    # Each trace carries only its own units' shapes: no boundary is sent twice.
    fig = px.choropleth_map(
        custom[scored].assign(unit_id=frame["unit_id"], value=frame[index]),
        geojson=_collection([f for f, keep in zip(features, scored, strict=True) if keep]),
        featureidkey="id",
        locations="unit_id",
        color="value",
        custom_data=list(custom.columns),
        color_continuous_scale=SCALE,
        range_color=(0, 100),
        labels={"value": index_label},
        map_style="white-bg",
        center=shapes["center"],
        zoom=shapes["zoom"],
        height=HEIGHT,
    )
    if not scored.all():
        fig.add_trace(
            go.Choroplethmap(
                geojson=_collection([f for f, keep in zip(features, scored, strict=True) if not keep]),
                featureidkey="id",
                locations=frame.loc[~scored, "unit_id"],
                z=[0] * int((~scored).sum()),
                colorscale=[[0, NOT_SCORED], [1, NOT_SCORED]],
                showscale=False,
                customdata=custom[~scored].to_numpy(),
            )
        )
    if outside:  # beside the viewer's unit: grey, no hover, no click, drawn under the others
        fig.add_trace(
            go.Choroplethmap(
                geojson=_collection(outside),
                featureidkey="id",
                locations=[f["id"] for f in outside],
                z=[0] * len(outside),
                colorscale=[[0, OUTSIDE], [1, OUTSIDE]],
                showscale=False,
                hoverinfo="skip",
                marker_line_color="white",
                marker_line_width=1.2,
                name="outside",
            )
        )
        fig.data = (fig.data[-1], *fig.data[:-1])
    fig.update_traces(
        hovertemplate=hover,
        marker_line_color="white",
        marker_line_width=0.5 if level == "grid" else 1.2,
        selector=lambda trace: trace.type == "choroplethmap" and trace.name != "outside",
    )
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        coloraxis_colorbar={"title": {"text": index_label}, "thickness": 14, "len": 0.6},
        uirevision=f"{level}/{scope}",  # a new quarter or index keeps the user's zoom
    )
    return fig


view = current()
s, run, f = view.stamp, view.run, view.f
# The city is one polygon in one colour: its districts say more, and a click opens one of them.
level = "district" if f.level == "city" else f.level

st.title(t("map.title", level=t(f"level.{f.level}"), period=f.period))
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
fig = _figure(s, level, f.scope, viewer().scope, run["run_id"], f.period, f.index, labels)
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

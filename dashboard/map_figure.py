"""The map figure of a view, shared by 地图 (views/map.py) and the big screen
(views/bigscreen.py): the chosen index of every unit of a level within the scope, coloured on
the unit's boundary (the loader's mart unit_geometry). Hover shows the four indices and the
grade.

Nothing is fetched from outside the dashboard: the map style is a plain background (Plotly's
white-bg, or a background layer of the page's colour: no tiles, no fonts, no sprites) and the
boundaries travel inside the figure."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import data
from dashboard.formatting import score
from pipelines.vocabulary import SCORES

# Sequential, light to dark red: in these meetings red is the colour of the top list (红榜).
SCALE = "YlOrRd"
NOT_SCORED = "#d0d0d0"
OUTSIDE = "#efefef"  # units outside the viewer's scope: lighter than unscored ones, never coloured
HEIGHT = 600


@dataclass(frozen=True)
class Look:
    """How a map is drawn. The default is the 地图 page's: Plotly's white-bg style on the page's
    own theme. With a `background`, the map's background is a single MapLibre background layer
    of that colour (a style object with no sources: nothing to fetch), and the figure takes the
    Plotly `template`, text colour and type size given."""

    background: str | None = None
    text: str | None = None
    template: str | None = None
    font_size: int | None = None
    lines: str = "white"
    outside: str = OUTSIDE
    not_scored: str = NOT_SCORED
    height: int = HEIGHT


PLAIN = Look()


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _style(look: Look) -> str | dict:
    if look.background is None:
        return "white-bg"
    return {
        "id": "pbi-background",
        "version": 8,
        "sources": {},
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": look.background}}],
    }


@st.cache_resource(show_spinner=False, max_entries=16)  # about 2 MB each for a city's grids
def figure(
    s: data.Stamp,
    level: str,
    scope: str,
    floor: str,
    run: int,
    period: str,
    index: str,
    labels: tuple[str, ...],
    look: Look = PLAIN,
) -> go.Figure:
    """The map of one view, built once and shared (cache_resource: a cached figure is not
    copied on every rerun, a copy would cost as much as building it; streamlit only reads it,
    and so must its callers). Keyed on the stamp, so a new load or computation builds a new
    one, on the viewer's own scope `floor` (whose neighbours are drawn grey, without data),
    and on the look."""
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
        map_style=_style(look),
        center=shapes["center"],
        zoom=shapes["zoom"],
        height=look.height,
    )
    if not scored.all():
        fig.add_trace(
            go.Choroplethmap(
                geojson=_collection([f for f, keep in zip(features, scored, strict=True) if not keep]),
                featureidkey="id",
                locations=frame.loc[~scored, "unit_id"],
                z=[0] * int((~scored).sum()),
                colorscale=[[0, look.not_scored], [1, look.not_scored]],
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
                colorscale=[[0, look.outside], [1, look.outside]],
                showscale=False,
                hoverinfo="skip",
                marker_line_color=look.lines,
                marker_line_width=1.2,
                name="outside",
            )
        )
        fig.data = (fig.data[-1], *fig.data[:-1])
    fig.update_traces(
        hovertemplate=hover,
        marker_line_color=look.lines,
        marker_line_width=0.5 if level == "grid" else 1.2,
        selector=lambda trace: trace.type == "choroplethmap" and trace.name != "outside",
    )
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        coloraxis_colorbar={"title": {"text": index_label}, "thickness": 14, "len": 0.6},
        uirevision=f"{level}/{scope}",  # a new quarter or index keeps the user's zoom
    )
    if look.background is not None:
        fig.update_layout(
            template=look.template,
            paper_bgcolor=look.background,
            plot_bgcolor=look.background,
            font={"color": look.text, "size": look.font_size},
        )
    return fig

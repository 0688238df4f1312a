"""趋势 Trends: the chosen index over every quarter for selected units against the mean of
their level in scope, the distribution per quarter, and this quarter's early warnings. With a
year chosen, the same over the run's years (one point per year: the year's own published
index, not its quarters again); early warnings are quarterly, so a year shows none."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, links, tables
from dashboard.filters import current, period_note
from dashboard.i18n import t

DEFAULT_UNITS = 3

view = current()
s, run, f = view.stamp, view.run, view.f
# Each past period as published for it (its official run), or the draft shown for every period.
history = data.level_history(s, data.history_runs(s, view.choice), f.level, f.scope, f.kind)
index_name = t(f"score.{f.index}")
st.title(t("trends.title", index=index_name, level=t(f"level.{f.level}")))
period_note(f)
if f.is_year:
    st.caption(t("trends.years"))

latest = history[history["period"] == f.period].sort_values("composite_rank", na_position="last")
names = dict(zip(latest["unit_id"], latest["unit_name"], strict=True))
asked = [u for u in str(st.query_params.get("units", "")).split(",") if u in names]
if asked:
    st.session_state["t_units"] = asked
elif not [u for u in st.session_state.get("t_units", []) if u in names]:
    st.session_state["t_units"] = list(names)[:DEFAULT_UNITS]


def _write_units() -> None:
    st.query_params["units"] = ",".join(st.session_state["t_units"])


chosen = st.multiselect(
    t("trends.units"),
    list(names),
    key="t_units",
    format_func=lambda u: names[u] if names[u] == u else f"{names[u]}（{u}）",
    on_change=_write_units,
    max_selections=10,
)
st.query_params["units"] = ",".join(chosen)

mean = history.groupby("period", as_index=False)[f.index].mean()
fig = go.Figure()
fig.add_scatter(
    x=mean["period"], y=mean[f.index], name=t("trends.mean"), mode="lines", line={"dash": "dash", "color": "#888"}
)
for unit in chosen:
    rows = history[history["unit_id"] == unit]
    fig.add_scatter(x=rows["period"], y=rows[f.index], name=names[unit], mode="lines+markers")
fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title=index_name)
st.plotly_chart(fig, key="trend_lines")
st.caption(t("trends.mean_help"))

st.subheader(t("trends.distribution"))
box = px.box(history.dropna(subset=[f.index]), x="period", y=f.index, labels={"period": "", f.index: index_name})
box.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10})
st.plotly_chart(box, key="trend_box")

st.subheader(t("trends.warnings", period=f.label))
warned = None if f.is_year else data.warnings(s, run["run_id"], f.period, f.level, f.scope)
if f.is_year:
    st.info(t("trends.warnings_quarterly"))
elif warned is None:
    st.info(t("trends.recompute"))
elif warned.empty:
    st.success(t("trends.no_warnings"))
else:
    table = tables.warnings(warned)
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=links.table_key("warnings"),
    )
    if event.selection.rows:
        links.open_profile(f, f.level, warned["unit_id"].iloc[event.selection.rows[0]])
    st.caption(t("trends.click", n=len(table)))

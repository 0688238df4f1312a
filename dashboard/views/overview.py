"""总览 Overview: the period (a quarter or a year) at a glance for the whole city and the chosen level."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import colours, data, followup_data
from dashboard.filters import current, period_note
from dashboard.formatting import count, date, date_time, score
from dashboard.i18n import language, t
from pipelines.serve.periods import previous as previous_period
from pipelines.vocabulary import BLACK_LIST, RED_LIST, SCORES

PREVIEW = 5

view = current()
s, run, periods, f = view.stamp, view.run, view.periods, view.f
lang = language()

st.title(t("overview.title", period=f.label))
period_note(f)
st.caption(
    t(
        "overview.run",
        run=run["run_id"],
        version=run["methodology_version"],
        hash=run["config_hash"][:12],
        time=date_time(run["computed_at"], lang),
    )
)

scope_level, scope_id = f.scope_unit
counts = data.record_counts(s, run["run_id"], f.period, scope_level, scope_id)
for col, key in zip(st.columns(4), ("grids", "members", "services", "demands"), strict=True):
    col.metric(t(f"count.{key}"), count(counts[key], lang))

st.subheader(t("overview.scores", unit=f.scope or t("level.city")))
history = data.unit_history(s, data.history_runs(s, view.choice), scope_level, scope_id, f.kind).set_index("period")
previous = previous_period(periods, f.period)  # the quarter before, or the year before
for col, key in zip(st.columns(4), SCORES, strict=True):
    now = history[key].get(f.period)
    then = history[key].get(previous) if previous else None
    delta = None if now is None or then is None or pd.isna(now) or pd.isna(then) else f"{now - then:+.1f}"
    col.metric(t(f"score.{key}"), score(now), delta)

units = data.unit_scores(s, run["run_id"], f.period, f.level, f.scope)
graded = units.dropna(subset=["grade"])
GRADES = [g.name for g in data.run_methodology(s, run["run_id"]).grades]  # the run's, best first
left, right = st.columns([2, 3])
with left:
    st.subheader(t("overview.grades", level=t(f"level.{f.level}")))
    n = graded["grade"].value_counts().reindex(GRADES, fill_value=0)
    st.dataframe(
        pd.DataFrame(
            {
                t("overview.grade"): list(GRADES),
                t("overview.units"): n.to_numpy(),
                t("overview.share"): [f"{v / max(len(graded), 1):.1%}" for v in n.to_numpy()],
            }
        ),
        hide_index=True,
    )
    # The same counts as bars in the grades' colours (and Plotly's script is then loaded,
    # so the map and trends open faster from here).
    bars = go.Figure(
        go.Bar(
            x=list(GRADES),
            y=n.to_numpy(),
            marker_color=[colours.GRADES.get(g, colours.OTHER) for g in GRADES],
            text=n.to_numpy(),
            textposition="outside",
            cliponaxis=False,
        )
    )
    bars.update_layout(height=220, margin={"l": 10, "r": 10, "t": 20, "b": 10}, yaxis_visible=False)
    st.plotly_chart(bars, key="grade_bars", config={"displayModeBar": False})
with right:
    ranked = units.dropna(subset=["composite_rank"])
    for kind, rows in (("red", ranked[ranked["list"] == RED_LIST]), ("black", ranked[ranked["list"] == BLACK_LIST])):
        rows = rows.sort_values("composite_rank", ascending=kind == "red").head(PREVIEW)
        st.markdown(f"**{t(f'overview.{kind}', n=len(rows))}**")
        st.dataframe(
            pd.DataFrame(
                {
                    t("overview.rank"): rows["composite_rank"].astype(int).to_numpy(),
                    t("overview.unit"): rows["unit_name"].to_numpy(),
                    t("score.composite"): [score(v) for v in rows["composite"]],
                }
            ),
            hide_index=True,
        )
    st.warning(t("overview.yellow", n=int(units["yellow_card"].sum())), icon=":material/warning:")

if (held := data.quarantined(s, f.scope)) > 0:
    st.info(t("overview.quarantine", n=count(held, lang)))

# Rectification items in the viewer's scope past their deadline (整改跟踪), when there are any.
overdue = followup_data.overdue_items(s)
if len(overdue):
    st.warning(t("rect.overdue_title", n=len(overdue)), icon=":material/alarm:")
    st.dataframe(
        pd.DataFrame(
            {
                t("overview.unit"): overdue["unit_name"].fillna(overdue["unit_id"]).to_numpy(),
                t("filter.period"): overdue["period"].to_numpy(),
                t("rect.deadline"): [date(d, lang) for d in overdue["deadline"]],
                t("rect.days"): overdue["days"].to_numpy(),
            }
        ).head(PREVIEW),
        hide_index=True,
    )
    st.page_link(
        "views/rectification.py", label=t("rect.open_page"), icon=":material/task_alt:", query_params={"lang": lang}
    )

"""总览 Overview: the quarter at a glance for the whole city and the chosen level."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.filters import sidebar
from dashboard.formatting import count, date_time, score
from dashboard.i18n import language, t

GRADES = ("好", "较好", "一般", "较差")
PREVIEW = 5

s = data.stamp()
run = data.latest_run(s)
periods = data.periods(s, run["run_id"])
f = sidebar(periods)
lang = language()

st.title(t("overview.title", period=f.period))
st.caption(
    t(
        "overview.run",
        run=run["run_id"],
        version=run["methodology_version"],
        hash=run["config_hash"][:12],
        time=date_time(run["computed_at"], lang),
    )
)

counts = data.record_counts(s, run["run_id"], f.period)
for col, key in zip(st.columns(4), ("grids", "members", "services", "demands"), strict=True):
    col.metric(t(f"count.{key}"), count(counts[key], lang))

st.subheader(t("overview.scores"))
city = data.unit_scores(s, run["run_id"], f.period, "city")
position = periods.index(f.period)
before = data.unit_scores(s, run["run_id"], periods[position - 1], "city") if position else city.iloc[0:0]
for col, key in zip(st.columns(4), ("composite", "fortress", "vanguard", "service"), strict=True):
    now = city[key].iloc[0] if len(city) else None
    then = before[key].iloc[0] if len(before) else None
    delta = None if now is None or then is None or pd.isna(now) or pd.isna(then) else f"{now - then:+.1f}"
    col.metric(t(f"score.{key}"), score(now), delta)

units = data.unit_scores(s, run["run_id"], f.period, f.level)
graded = units.dropna(subset=["grade"])
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
with right:
    ranked = units.dropna(subset=["composite_rank"])
    for kind, rows in (("red", ranked[ranked["list"] == "红榜"]), ("black", ranked[ranked["list"] == "黑榜"])):
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
    st.warning(t("overview.yellow", n=int(units["yellow_card"].sum())), icon="🟨")

if (held := data.quarantined(s)) > 0:
    st.info(t("overview.quarantine", n=count(held, lang)))

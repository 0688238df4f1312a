"""排名 Rankings: every ranked unit of a level, with its interval, lists and downloads."""

from __future__ import annotations

import streamlit as st

from dashboard import data, tables
from dashboard.filters import sidebar
from dashboard.i18n import t

s = data.stamp()
run = data.latest_run(s)
f = sidebar(data.periods(s, run["run_id"]))
units = data.unit_scores(s, run["run_id"], f.period, f.level)

st.title(t("rankings.title", level=t(f"level.{f.level}"), period=f.period))
peer = f.level == "grid" and st.toggle(t("rankings.peer"), value=st.query_params.get("peer") == "1", key="peer")
if f.level == "grid":
    st.query_params["peer"] = "1" if peer else "0"
table = tables.rankings(units, peer)
st.caption(t("rankings.caption", n=len(table)))
score_format = {
    t(f"score.{k}"): st.column_config.NumberColumn(format="%.1f")
    for k in ("composite", "fortress", "vanguard", "service")
}
st.dataframe(table, hide_index=True, column_config=score_format, use_container_width=True)
name = f"{t('nav.rankings')}_{t(f'level.{f.level}')}_{f.period}"
left, right = st.columns(2)
left.download_button(t("rankings.csv"), tables.csv_bytes(table), f"{name}.csv", "text/csv")
right.download_button(
    t("rankings.xlsx"),
    tables.xlsx_bytes(table, name),
    f"{name}.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)

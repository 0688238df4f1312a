"""排名 Rankings: every ranked unit of a level in scope, by the chosen index, with its
interval, lists and downloads; the composite after and before adjustment (加减分, 一票否决);
a click on a row opens the unit's profile."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, links, tables
from dashboard.filters import current, period_note
from dashboard.i18n import t
from pipelines.vocabulary import SCORES

view = current()
s, run, f = view.stamp, view.run, view.f
units = data.unit_scores(s, run["run_id"], f.period, f.level, f.scope)
if f.peer:
    units = units[units["peer_class"] == f.peer]

st.title(t("rankings.title", level=t(f"level.{f.level}"), period=f.label))
period_note(f)
peer = (
    f.level == "grid"
    and f.index == "composite"
    and st.toggle(t("rankings.peer"), value=st.query_params.get("peer") == "1", key="peer")
)
if f.level == "grid" and f.index == "composite":
    st.query_params["peer"] = "1" if peer else "0"
table = tables.rankings(units, peer, f.index)
st.caption(t("rankings.caption", n=len(table), index=t(f"score.{f.index}")))
if f.scope or f.peer:
    st.caption(t("rankings.scoped"))
if "adjustment" in units.columns and (units["adjustment"].fillna(0).ne(0) | units["veto"].fillna(False)).any():
    st.caption(t("rankings.adjusted"))
score_format = {t(f"score.{k}"): st.column_config.NumberColumn(format="%.1f") for k in SCORES}
score_format[t("rankings.composite_raw")] = st.column_config.NumberColumn(format="%.1f")
score_format[t("rankings.adjustment")] = st.column_config.NumberColumn(format="%+.1f")
shown, labels = tables.coloured(table)
event = st.dataframe(
    shown,
    hide_index=True,
    column_config=score_format | labels,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key=links.table_key("ranking"),
)
if event.selection.rows:
    links.open_profile(f, f.level, table[t("rankings.code")].iloc[event.selection.rows[0]])
st.caption(t("rankings.click"))
name = f"{t('nav.rankings')}_{t(f'level.{f.level}')}_{f.period}"
about = {"period": f.period, "level": f.level, "index": f.index, "peer_class": f.peer, "run": int(run["run_id"])}
about["draft"] = tables.shows_draft(view)
downloads = (
    ("csv", tables.csv_bytes(table), "text/csv"),
    ("xlsx", tables.xlsx_bytes(table, name), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
draft = tables.shows_draft(view)  # a draft's files say so in their names and on their buttons
for column, (suffix, payload, mime) in zip(st.columns(2), downloads, strict=True):
    with column:
        auth.download(
            tables.draft_label(t(f"rankings.{suffix}"), draft),
            payload,
            tables.draft_file(f"{name}.{suffix}", draft),
            mime,
            what=f"rankings.{suffix}",
            rows=len(table),
            scope=f.scope,
            detail=about,
        )

"""会议材料 Meeting pack: the quarterly evaluation meeting's workbook (.xlsx) and deck (.pptx) for
the period, level and scope in the sidebar, one click each, plus a preview of the
rectification list, last period's rectification items with their status today, and a link
to the big screen. A draft shown (an administrator's switch) gives a draft pack: 草稿 on every
sheet and slide, and on the files' names. The files are made on the click (Streamlit
runs the maker apart from the page) from the pack the data layer returned for this viewer:
their scope, and names masked unless the viewer may see them and meeting mode is off."""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import auth, data, tables
from dashboard.filters import current
from dashboard.i18n import language, t
from pipelines.report import deck, labels, workbook
from pipelines.serve import followup

MAX_SCORECARDS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

view = current()
s, run, f = view.stamp, view.run, view.f
st.title(t("pack.title", level=t(f"level.{f.level}"), period=f.label))
st.caption(t("pack.intro"))
scorecards = st.number_input(
    t("pack.scorecards"), min_value=0, max_value=MAX_SCORECARDS, value=30, step=10, help=t("pack.scorecards_help")
)
draft = tables.shows_draft(view)  # the page shows a draft: so does every sheet, slide and file name
p = data.meeting_pack(s, run["run_id"], f.period, f.level, f.scope, int(scorecards), draft=draft)

facts = st.columns(4)
facts[0].metric(t("pack.units"), f"{len(p.units):,}")
facts[1].metric(t("pack.rectification"), f"{len(p.rectification):,}")
facts[2].metric(t("pack.cards"), f"{len(p.scorecards):,}")
facts[3].metric(t("pack.names"), t("pack.names_clear") if p.names_shown else t("pack.names_masked"))
st.caption(t("pack.trace", run=p.run["run_id"], version=p.run["methodology_version"], hash=p.run["config_hash"][:12]))


def _made(render) -> bytes:
    """The file as of the click: the pack stamped with the time it was made."""
    return render(dataclasses.replace(p, generated_at=dt.datetime.now()))


about = {"period": f.period, "level": f.level, "run": int(p.run["run_id"]), "scorecards": len(p.scorecards)}
about["names"] = "clear" if p.names_shown else "masked"
stem = tables.draft_file(labels.file_stem(p), draft)
if draft:
    st.warning(t("packx.draft_files"), icon=":material/edit_note:")
for column, (suffix, render, mime) in zip(
    st.columns(2), (("xlsx", workbook.render, XLSX), ("pptx", deck.render, PPTX)), strict=True
):
    with column:
        auth.download(
            tables.draft_label(t(f"pack.{suffix}"), draft),
            lambda render=render: _made(render),
            f"{stem}.{suffix}",
            mime,
            what=f"report.{suffix}",
            rows=len(p.units),
            scope=f.scope,
            key=f"pack_{suffix}",
            detail=about,
        )

st.subheader(t("pack.rectification_title", n=len(p.rectification)))
st.caption(t("pack.rectification_rule", grade=p.lowest_grade))
if p.rectification.empty:
    st.info(t("pack.rectification_none"))
else:
    r = p.rectification
    weakest = ["；".join(f"{w['code']} {w['name']}（{w['lost']:.1f}）" for w in ws) or "—" for ws in r["weakest"]]
    st.dataframe(
        pd.DataFrame(
            {
                t("rankings.unit"): r["unit_name"],
                t("rankings.rank"): r["composite_rank"],
                t("score.composite"): r["composite"],
                t("rankings.grade"): r["grade"],
                t("pack.reasons"): r["reasons"],
                t("pack.weakest"): weakest,
                t("pack.organisation"): r["organisation"].fillna("—"),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={t("score.composite"): st.column_config.NumberColumn(format="%.1f")},
    )

st.subheader(t("packx.followup_title", period=p.previous or "—", n=len(p.followup)))
if p.previous is None:
    st.info(t("packx.followup_first"))
elif p.followup.empty:
    st.info(t("packx.followup_none", period=p.previous))
else:
    counts = "、".join(f"{status} {n}" for status, n in followup.tally(p.followup).items())
    st.caption(t("packx.followup_counts", counts=counts))
    items = p.followup
    st.dataframe(
        pd.DataFrame(
            {
                t("rankings.unit"): items["unit_name"].fillna(items["unit_id"]),
                t("pack.reasons"): items["reasons"],
                t("pack.organisation"): items["organisation"].fillna("—"),
                t("packx.deadline"): [str(d)[:10] for d in items["deadline"]],
                t("packx.measures"): items["measures"].fillna("—"),
                t("packx.status"): items["status"],
            }
        ),
        hide_index=True,
        width="stretch",
    )

params = {**f.params(), "meeting": "1", "lang": language()}
# The big screen shows the run shown here: an administrator's draft switch or named run goes along.
params |= {k: st.query_params[k] for k in ("draft", "run") if k in st.query_params}
st.subheader(t("pack.bigscreen"))
st.caption(t("pack.bigscreen_help"))
st.page_link("views/bigscreen.py", label=t("pack.bigscreen_open"), icon=":material/tv:", query_params=params)
st.code(f"/bigscreen?{urlencode(params)}", language=None)

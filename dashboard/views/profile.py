"""单元画像 Unit profile: one grid, community, street or district — its scores and rank, the
adjustments (加减分, 一票否决) the run applied with their evidence, every indicator against its
goalposts and what it contributes, where the most points are to be gained, its task completion
(F6) with the tasks behind it, its rank over time, its members' tiers, and the latest records
behind the numbers. For a year: the year beside its quarters (a year's indices are the means of
its quarterly indices, so its indicators are the quarters')."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import auth, data, tables
from dashboard.filters import current, period_note
from dashboard.formatting import date, rank_range, score, share
from dashboard.i18n import language, t
from dashboard.viewer import current as viewer
from pipelines.serve.periods import QUARTER, quarters_of
from pipelines.serve.periods import previous as previous_period
from pipelines.vocabulary import INDICES, SCORES

GAINS_SHOWN = 3

view = current()
s, run, periods, f = view.stamp, view.run, view.periods, view.f
lang = language()
units = data.unit_scores(s, run["run_id"], f.period, f.level, f.scope)
names = dict(zip(units["unit_id"], units["unit_name"], strict=True))


def _write_unit() -> None:
    st.query_params["unit"] = st.session_state["p_unit"]


asked = st.query_params.get("unit")
if asked in names:
    st.session_state["p_unit"] = asked
elif asked and not viewer().sees(data.unit_path(s, f.level, asked)):
    # A link to a unit outside the viewer's scope: said, recorded, and nothing of it shown.
    st.warning(t("access.unit_denied"))
    auth.record("access_denied", what="profile", scope=viewer().scope, detail={"level": f.level, "unit": asked[:64]})
    st.session_state["p_unit"] = units["unit_id"].iloc[0] if len(units) else None
elif st.session_state.get("p_unit") not in names:
    st.session_state["p_unit"] = units["unit_id"].iloc[0] if len(units) else None
if not names:
    st.title(t("nav.profile"))
    st.info(t("profile.none"))
    st.stop()
unit = st.selectbox(
    t("profile.unit", level=t(f"level.{f.level}")),
    list(names),
    key="p_unit",
    format_func=lambda u: names[u] if names[u] == u else f"{names[u]}（{u}）",
    on_change=_write_unit,
)
st.query_params["unit"] = unit
row = units.set_index("unit_id").loc[unit]
history = data.unit_history(s, data.history_runs(s, view.choice), f.level, unit, f.kind)

st.title(t("profile.title", unit=row["unit_name"], period=f.label))
period_note(f)
facts = [t(f"level.{f.level}"), unit]
if isinstance(row["peer_class"], str):
    facts.append(row["peer_class"])
st.caption(" · ".join(facts))
st.page_link(
    "views/rankings.py", label=t("profile.back"), icon=":material/arrow_back:", query_params=f.params() | {"lang": lang}
)

# Scores against the previous quarter (or year), grade, rank and lists.
by_period = history.set_index("period")
previous = previous_period(periods, f.period)
for col, key in zip(st.columns(4), SCORES, strict=True):
    now, then = row[key], by_period[key].get(previous) if previous else None
    delta = None if then is None or pd.isna(now) or pd.isna(then) else f"{now - then:+.1f}"
    col.metric(t(f"score.{key}"), score(now), delta)
adjustment = row.get("adjustment")
vetoed = bool(row.get("veto")) if pd.notna(row.get("veto")) else False
if vetoed or (adjustment is not None and not pd.isna(adjustment) and adjustment != 0):
    st.caption(
        t(
            "profile.adjusted",
            raw=score(row["composite_raw"]),
            points=f"{adjustment or 0:+.1f}",
            now=score(row["composite"]),
        )
        + (" · " + t("profile.vetoed") if vetoed else "")
    )
cols = st.columns(4)
cols[0].metric(t("profile.grade"), row["grade"] if isinstance(row["grade"], str) else "—")
ranked = not pd.isna(row["composite_rank"])
cols[1].metric(
    t("profile.rank"),
    t("profile.rank_of", rank=int(row["composite_rank"]), n=int(row["ranked_units"])) if ranked else "—",
    # the metric draws its own arrow: +3 is three places up
    f"{int(row['rank_change']):+d}" if ranked and not pd.isna(row["rank_change"]) else None,
)
cols[2].metric(t("rankings.interval"), rank_range(row["rank_q05"], row["rank_q95"]))
flags = [x for x in (row["list"] if isinstance(row["list"], str) else None,) if x]
if row["yellow_card"]:
    flags.append(t("rankings.yellow"))
cols[3].metric(t("rankings.list"), "、".join(flags) if flags else "—")

if f.kind == QUARTER:
    # Every indicator: value against goalposts, score, weight and what it contributes.
    methodology = data.run_methodology(s, run["run_id"])
    breakdown = tables.indicator_breakdown(
        methodology,
        data.unit_indicators(s, run["run_id"], f.period, f.level, unit),
        {k: row[k] for k in INDICES},
    )
    st.subheader(t("profile.indicators"))
    st.caption(t("profile.indicators_help"))
    st.dataframe(
        breakdown.drop(columns=["_gain", "_code"]),
        hide_index=True,
        column_config={t("profile.score"): st.column_config.ProgressColumn(format="%.1f", min_value=0, max_value=100)},
    )
    gains = breakdown[breakdown["_gain"] > 0].nlargest(GAINS_SHOWN, "_gain")
    if len(gains):
        st.subheader(t("profile.gains"))
        for _, g in gains.iterrows():
            st.markdown(
                t("profile.gain", name=g[t("profile.indicator")], value=g[t("profile.value")], gain=f"{g['_gain']:.1f}")
            )
else:
    # The year beside its quarters: each quarter's indices, whose means the year's are.
    st.subheader(t("profile.year_quarters", year=f.period))
    quarters = data.unit_history(s, run["run_id"], f.level, unit, QUARTER)
    quarters = quarters[quarters["period"].isin(quarters_of(periods, f.period))]
    st.dataframe(
        tables.year_beside_quarters(by_period.loc[[f.period]].reset_index(), quarters, f.label), hide_index=True
    )
    st.caption(t("profile.year_quarters_help"))


def tasks_block(values: dict) -> None:
    """F6 任务完成率 (methodology v1.2), where the run has it: its value this quarter (or that
    it is missing: no task due) and the unit's tasks of the period — done on time, late, open."""
    if "F6" not in values:  # results computed before v1.2
        return
    st.subheader(t("tasks.title"))
    tasks = data.unit_tasks(s, f.period, f.level, unit)
    if f.kind == QUARTER:
        if values["F6"] is None:
            st.caption(t("tasks.missing"))
        else:
            st.metric(t("tasks.value"), share(values["F6"]))
    if tasks is None:
        st.caption(t("tasks.no_list"))
        return
    if tasks.empty:
        return
    n = tasks["status"].value_counts()
    st.caption(t("tasks.counts", n=len(tasks), **{k: int(n.get(k, 0)) for k in ("on_time", "late", "open")}))
    st.dataframe(
        pd.DataFrame(
            {
                t("tasks.status"): [t(f"tasks.status.{v}") for v in tasks["status"]],
                t("tasks.org"): tasks["org_name"].to_numpy(),
                t("tasks.content"): tasks["content"].to_numpy(),
                t("tasks.category"): tasks["category"].fillna("—").to_numpy(),
                t("tasks.assigned"): [date(v, lang) for v in tasks["assigned_date"]],
                t("tasks.due"): [date(v, lang) for v in tasks["due_date"]],
                t("tasks.completed"): [date(v, lang) for v in tasks["completed_date"]],
            }
        ),
        hide_index=True,
        key="p_tasks",
    )


tasks_block(data.unit_indicators(s, run["run_id"], f.period, f.level, unit))

# The adjustments this run applied to the unit (any period), with their evidence.
applied = data.unit_adjustments(s, run["run_id"], None, f.level, unit)
st.subheader(t("profile.adjustments"))
if applied.empty:
    st.caption(t("profile.no_adjustments"))
else:
    st.dataframe(tables.applied_adjustments(applied, lang), hide_index=True)
    for entry in applied[applied["evidence_name"].notna()].itertuples():
        auth.download(
            t("profile.evidence", id=entry.adjustment_id, name=entry.evidence_name),
            data.adjustment_evidence(s, int(entry.adjustment_id)),
            entry.evidence_name,
            "application/octet-stream",
            what="adjustment_evidence",
            rows=1,
            key=f"evidence_{entry.adjustment_id}",
            detail={"adjustment_id": int(entry.adjustment_id), "sha256": entry.evidence_sha256},
            event="evidence_downloaded",
        )

left, right = st.columns(2)
with left:
    st.subheader(t("profile.history"))
    chart = history.dropna(subset=["composite_rank"])
    if len(chart) > 1:
        fig = px.line(chart, x="period", y="composite_rank", markers=True, labels={"period": "", "composite_rank": ""})
        fig.update_yaxes(autorange="reversed", title=t("profile.rank"))
        fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10})
        st.plotly_chart(fig, key="rank_history")
    st.dataframe(tables.history(history), hide_index=True)
with right:
    st.subheader(t("profile.tiers"))
    tiers = data.unit_tiers(s, run["run_id"], f.period, f.level, unit)
    total = max(int(tiers["members"].sum()), 1)
    st.dataframe(
        pd.DataFrame(
            {
                t("profile.tier"): tiers["tier"],
                t("profile.members"): tiers["members"],
                t("overview.share"): [f"{n / total:.1%}" for n in tiers["members"]],
            }
        ),
        hide_index=True,
    )

st.subheader(t("profile.services"))
st.caption(t("profile.names_shown" if viewer().show_names else "profile.masked"))
st.dataframe(tables.services(data.unit_services(s, f.period, f.level, unit), lang), hide_index=True)
st.subheader(t("profile.demands"))
st.dataframe(tables.demands(data.unit_demands(s, f.period, f.level, unit), lang), hide_index=True)


def objections_block(choice, period: str, period_label: str, level: str, unit_id: str, unit_name: str) -> None:
    """异议: while the period is on public notice, an objection against this unit (the register
    refuses a unit outside the viewer's scope, a blank text, a file over 20 MB); otherwise when
    objections are taken. Then the viewer's own objections and their answers."""
    from dashboard import followup_data as follow
    from dashboard.formatting import date, date_time

    message = "obj_message"  # the outcome of the last filing, shown after the rerun that lists it
    st.subheader(t("obj.title"))
    if message in st.session_state:
        kind, said = st.session_state.pop(message)
        (st.success if kind == "ok" else st.error)(said)
    status = getattr(choice, "status", None)
    start, end = getattr(status, "notice_start", None), getattr(status, "notice_end", None)
    if choice is not None and not choice.draft and choice.state == "公示中":
        st.caption(t("obj.intro", period=period_label, start=date(start, lang), end=date(end, lang), unit=unit_name))
        text = st.text_area(t("obj.text"), key="obj_text", max_chars=2000)
        upload = st.file_uploader(t("obj.file"), key="obj_file")
        if st.button(t("obj.submit"), type="primary", key="obj_submit"):
            try:
                new = follow.file_objection(
                    s,
                    period=period,
                    level=level,
                    unit_id=unit_id,
                    text=text,
                    file_name=upload.name if upload is not None else None,
                    file_bytes=upload.getvalue() if upload is not None else None,
                )
            except follow.ReviewError as refused:
                st.session_state[message] = ("error", str(refused))
            else:
                st.session_state[message] = ("ok", t("obj.filed", id=new))
                for key in ("obj_text", "obj_file"):
                    st.session_state.pop(key, None)
            st.rerun()
    elif start is not None:
        st.caption(t("obj.closed_dates", period=period_label, start=date(start, lang), end=date(end, lang)))
    else:
        st.caption(t("obj.closed", period=period_label))

    st.markdown(f"**{t('obj.mine')}**")
    mine = follow.my_objections(s)
    if mine.empty:
        st.caption(t("obj.none"))
        return

    def when(at: object) -> str:
        return "—" if at is None or pd.isna(at) else date_time(at, lang)

    st.dataframe(
        pd.DataFrame(
            {
                t("obj.id"): mine["objection_id"].astype(int).to_numpy(),
                t("filter.period"): mine["period"].to_numpy(),
                t("rankings.unit"): mine["unit_name"].fillna(mine["unit_id"]).to_numpy(),
                t("obj.text"): mine["text"].to_numpy(),
                t("obj.attachment"): mine["file_name"].fillna("—").to_numpy(),
                t("obj.filed_at"): [when(a) for a in mine["filed_at"]],
                t("obj.state"): [t(f"obj.state.{follow.objection_state(d)}") for d in mine["decision"]],
                t("obj.note"): mine["note"].fillna("").to_numpy(),
                t("obj.resolved"): [
                    "—" if by is None or pd.isna(by) else f"{by} · {when(at)}"
                    for by, at in zip(mine["resolved_by"], mine["resolved_at"], strict=True)
                ],
            }
        ),
        hide_index=True,
    )


objections_block(view.choice, f.period, f.label, f.level, unit, row["unit_name"])

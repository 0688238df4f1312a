"""方法 Methodology: the configuration that made the published numbers (the latest run's stored
text, parsed by the engine), the run record, and a what-if panel that re-ranks the chosen
quarter and level with edited weights (quarters only: a year's indices are the means of its
quarterly indices, which the what-if does not recompute) — recomputed by the engine, never written anywhere.

Edited weights live in the URL (`w_F1=0.3`, only those that differ from the run's), so a
what-if view is a shareable link like every other view; a value that is not a weight the
slider allows falls back to the run's weight."""

from __future__ import annotations

import math

import streamlit as st

from dashboard import auth, data
from dashboard import method_tables as mt
from dashboard.filters import current
from dashboard.formatting import date_time
from dashboard.i18n import language, t
from pipelines.engine import whatif

PARAM = "w_"
STEP = 0.01

view = current()
s, run, f = view.stamp, view.run, view.f
lang = language()
record = data.run_record(s, run["run_id"])
m = data.run_methodology(s, run["run_id"])
defaults = whatif.default_weights(m)
indices = mt.index_names(m)

st.title(t("method.title", version=m.version))
st.caption(
    t(
        "method.caption",
        name=mt.name(m),
        run=run["run_id"],
        time=date_time(run["computed_at"], lang),
        hash=run["config_hash"][:12],
    )
)
tab_config, tab_run, tab_whatif = st.tabs([t("method.tab.config"), t("method.tab.run"), t("method.tab.whatif")])

with tab_config:
    published_shares = whatif.shares(m, defaults)
    rules = mt.rules(m)
    st.subheader(t("method.indicators"))
    st.caption(rules["scoring"])
    st.dataframe(
        mt.indicators(m, published_shares),
        hide_index=True,
        width="stretch",
        column_config={t("method.weight"): st.column_config.NumberColumn(format="%.2f")},
    )
    left, right = st.columns(2)
    with left:
        st.subheader(t("method.composite"))
        st.caption(rules["composite"])
        st.dataframe(mt.composite(m, defaults, published_shares), hide_index=True)
    with right:
        st.subheader(t("method.grades"))
        st.caption(rules["cap"])
        st.dataframe(mt.grades(m), hide_index=True)
    st.subheader(t("method.members"))
    left, right = st.columns([3, 1])
    left.dataframe(mt.member_components(m), hide_index=True, width="stretch")
    right.dataframe(mt.member_tiers(m), hide_index=True, width="stretch")
    st.subheader(t("method.rules"))
    for key in ("lists", "yellow", "intervals"):
        st.markdown(f"- {rules[key]}")
    st.subheader(t("method.parameters"))
    st.dataframe(mt.parameters(m), hide_index=True)

with tab_run:
    st.dataframe(mt.run_record(record, m.sha256 == record["config_hash"]), hide_index=True, width="stretch")
    auth.download(
        t("method.run.download"),
        m.text.encode("utf-8"),
        f"methodology-{m.version}-run{run['run_id']}.toml",
        "application/toml",
        what="methodology.toml",
        rows=0,
        detail={"run": int(run["run_id"])},
    )
    st.subheader(t("method.run.files", n=len(record["files"])))
    st.dataframe(mt.run_files(record["files"]), hide_index=True, width="stretch")
    with st.expander(t("method.run.text")):
        st.code(m.text, language="toml")


def _key(code: str) -> str:
    return f"{PARAM}{code}"


def _top(code: str) -> float:
    return max(1.0, defaults[code])


def _from_url(code: str) -> float | None:
    """The URL's weight for `code` if the slider allows it, else None."""
    try:
        value = float(st.query_params[_key(code)])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) and 0 <= value <= _top(code) else None


def _write(code: str) -> None:
    """A moved slider goes to the URL before the page reruns (the URL wins over the session)."""
    value = st.session_state[_key(code)]
    if value == defaults[code]:
        st.query_params.pop(_key(code), None)
    else:
        st.query_params[_key(code)] = f"{value:g}"


def _reset() -> None:
    for code, weight in defaults.items():
        st.session_state[_key(code)] = weight
        st.query_params.pop(_key(code), None)


def _slider(code: str, label: str) -> float:
    key = _key(code)
    url = _from_url(code)
    if url is not None:
        st.session_state[key] = url
    elif key not in st.session_state or not 0 <= st.session_state[key] <= _top(code):
        st.session_state[key] = defaults[code]
    return st.slider(label, 0.0, _top(code), step=STEP, key=key, on_change=_write, args=(code,))


with tab_whatif:
    st.subheader(t("method.whatif.title", level=t(f"level.{f.level}"), period=f.label))
    if f.is_year:
        st.info(t("method.whatif.year", year=f.period, n=int(m.years.min_quarters)))
    st.caption(t("method.whatif.intro", need=mt.weight_need(m)))
    groups = whatif.siblings(m)
    weights: dict[str, float] = {}
    columns = st.columns(len(groups))
    for col, (parent, children) in zip(columns, groups.items(), strict=True):
        with col:
            st.markdown(f"**{t('score.composite') if parent == whatif.ROOT else indices[parent]}**")
            for code in children:
                item = next((i for i in m.indicators if i.code == code), None)
                label = indices[code] if item is None else f"{code} {mt.name(item)}"
                weights[code] = _slider(code, label)
    # Slider noise (0.35000000000000003) must not make the run's own weights a new cache key.
    weights = {c: defaults[c] if abs(w - defaults[c]) < STEP / 100 else round(w, 6) for c, w in weights.items()}
    for code, weight in weights.items():  # the URL names exactly the edited weights (stale values leave)
        if weight == defaults[code]:
            st.query_params.pop(_key(code), None)
        else:
            st.query_params[_key(code)] = f"{weight:g}"
    shares = whatif.shares(m, weights)
    for col, children in zip(columns, groups.values(), strict=True):
        col.caption(
            " · ".join(f"{indices.get(c, c)} {'—' if shares[c] is None else f'{shares[c]:.0%}'}" for c in children)
        )
    edited = weights != defaults
    st.button(t("method.whatif.reset"), on_click=_reset, disabled=not edited)
    if empty := whatif.weightless(m, weights):
        names = ("、" if lang == "zh" else ", ").join(
            t("score.composite") if p == whatif.ROOT else indices[p] for p in empty
        )
        st.warning(t("method.whatif.weightless", names=names))

    table, summary = data.whatif_ranking(s, run["run_id"], f.period, f.level, tuple(sorted(weights.items())), f.scope)
    cells = st.columns(5)
    cells[0].metric(t("method.whatif.ranked"), summary["ranked"])
    cells[1].metric(t("method.whatif.moved"), summary["moved"])
    cells[2].metric(t("method.whatif.rose"), summary["rose"])
    cells[3].metric(t("method.whatif.fell"), summary["fell"])
    cells[4].metric(t("method.whatif.rho"), "—" if summary["rho"] is None else f"{summary['rho']:.3f}")
    if summary["lost"]:
        st.warning(t("method.whatif.lost", n=summary["lost"]))
    if not edited:
        st.info(t("method.whatif.same"))
    st.caption(t("method.whatif.table_caption", level=t(f"level.{f.level}")))
    score_format = st.column_config.NumberColumn(format="%.2f")
    st.dataframe(
        mt.whatif(table),
        hide_index=True,
        width="stretch",
        column_config={t("method.whatif.published"): score_format, t("method.whatif.new"): score_format},
    )

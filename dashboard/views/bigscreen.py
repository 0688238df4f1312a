"""大屏 Big screen: for a projector or a wall screen. Full width, no sidebar, large type, a dark
or light theme, and panels that take turns — the ranking, the map, the scope's indices over
the quarters (or the years), and the red, black and yellow-card lists — every few seconds. It always runs
in meeting mode (names masked for everyone; it shows units only anyway).

Everything comes from the URL, so the screen is one link:
/bigscreen?period=2025Q4&level=community&scope=上城区&index=composite&theme=dark&interval=15
(`panel=map` keeps one panel). Period, level, scope and index are the dashboard's filters
(dashboard/filters.py, their sidebar hidden here); `theme`, `interval` and `panel` are this
page's, checked the same way: a value that is not an option falls back to the default.

The panels turn in a fragment that reruns every `interval` seconds; each turn counts as
activity for the idle sign-out, up to a cap after sign-in (auth.keep_alive_display).

The run is every page's (filters.current): the period's official run; a draft only when an
administrator switched to one (?draft=1), and then every panel is marked 草稿 in its heading
and its footer. A unit user's screen is never a draft (current() refuses one)."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from string import Template

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import auth, clock, colours, data, tables
from dashboard.filters import current
from dashboard.formatting import rank_change, score
from dashboard.i18n import t
from dashboard.map_figure import SCORES, Look, figure
from dashboard.viewer import current as viewer
from pipelines.report.pack import carded, listed
from pipelines.vocabulary import BLACK_LIST, RED_LIST

PANELS = ("ranking", "map", "trends", "lists")
INTERVAL_DEFAULT, INTERVAL_MIN, INTERVAL_MAX = 15, 5, 300  # seconds
TOP = 10  # units on the ranking panel
LISTED = 8  # units shown per list on the lists panel
CHART_HEIGHT = 640
CHART_FONT = 20
PANEL_KEY, SHOWN_KEY = "bs_panel", "bs_shown"  # session state: the panel shown, and since when


@dataclass(frozen=True)
class Theme:
    background: str
    text: str
    muted: str
    card: str
    line: str
    outside: str  # the units beside the viewer's own on the map
    not_scored: str
    template: str  # Plotly's


THEMES = {
    "dark": Theme("#0e1117", "#f5f6f8", "#a3acb9", "#1a2030", "#2c3447", "#2a3040", "#5c6370", "plotly_dark"),
    "light": Theme("#ffffff", "#1c2230", "#5b6472", "#f3f4f7", "#dde1e8", "#eceef2", "#c8ccd3", "plotly_white"),
}
THEME_DEFAULT = "dark"  # usual for a projector; light for bright rooms

CSS = Template("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarCollapseButton"], header[data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"] { display: none !important; }
html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: $background !important; color: $text; }
[data-testid="stMainBlockContainer"] { zoom: 1 !important; width: 100% !important; max-width: 100% !important;
  margin: 0 !important; padding: 1.2rem 2.5vw 0.8rem !important; }
[data-testid="stElementContainer"][data-stale="true"] { opacity: 1 !important; }
.pbi-bs { color: $text; font-size: clamp(18px, 1.45vw, 44px); line-height: 1.35; }
.pbi-bs-head { display: flex; justify-content: space-between; align-items: baseline; gap: 1em;
  border-bottom: 3px solid #c62828; padding-bottom: 0.3em; }
.pbi-bs-title { font-size: 2.1em; font-weight: 700; }
.pbi-bs-context { font-size: 1.05em; color: $muted; white-space: nowrap; }
.pbi-bs-dots { letter-spacing: 0.25em; margin-left: 0.8em; color: #c62828; }
.pbi-bs-table { width: 100%; border-collapse: collapse; font-size: 1.25em; }
.pbi-bs-table th { text-align: left; color: $muted; font-weight: 500; font-size: 0.8em; padding: 0.25em 0.5em; }
.pbi-bs-table td { padding: 0.28em 0.5em; border-top: 1px solid $line; }
.pbi-bs-table tr:nth-child(even) td { background: $card; }
.pbi-bs-num, .pbi-bs-table th.pbi-bs-num { font-variant-numeric: tabular-nums; text-align: right; }
.pbi-bs-rank { font-weight: 700; width: 3.2em; }
.pbi-bs-bar { display: inline-block; width: 12em; height: 0.55em; background: $line; border-radius: 0.3em;
  margin-right: 0.6em; vertical-align: middle; }
.pbi-bs-bar > span { display: block; height: 100%; border-radius: 0.3em; background: #e4572e; }
.pbi-bs-label { display: inline-block; padding: 0.05em 0.5em; border-radius: 0.35em; font-size: 0.8em;
  margin-right: 0.3em; }
.pbi-bs-sub { color: $muted; font-size: 0.75em; margin-left: 0.5em; }
.pbi-bs-lists { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2vw; }
.pbi-bs-lists h3 { font-size: 1.5em; margin: 0.4em 0 0.3em; color: $text; font-weight: 700; }
.pbi-bs-lists h3 .pbi-bs-label { font-size: 1em; padding: 0.1em 0.6em; border: 1px solid $muted; }
.pbi-bs-empty { color: $muted; font-size: 1.3em; padding: 1em 0; }
.pbi-bs-foot { color: $muted; font-size: 0.8em; text-align: right; }
.pbi-bs-draft { display: inline-block; margin-left: 0.6em; padding: 0.05em 0.5em; border-radius: 0.3em;
  background: #c62828; color: #ffffff; font-size: 0.6em; vertical-align: middle; }
.pbi-bs-foot .pbi-bs-draft { font-size: 1em; margin: 0 0.6em 0 0; }
</style>""")


def interval(value: object) -> int:
    """Seconds between panels from the URL: whole seconds clamped to 5–300; anything else
    (text, a fraction, a sign) the default."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,6}", value):
        return max(INTERVAL_MIN, min(INTERVAL_MAX, int(value)))
    return INTERVAL_DEFAULT


def _param(name: str, options: tuple[str, ...] | dict, default: str | None) -> str | None:
    """A page parameter that is one of `options`, else `default`; written back to the URL."""
    asked = st.query_params.get(name)
    value = asked if asked in options else default
    if value is None:
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = value
    return value


def _turn(pinned: str | None, seconds: int) -> int:
    """The panel to show: the pinned one, else the next once `seconds` have passed since the
    current one was first shown (a little early is on time: the timer is not exact). Time is
    dashboard/clock.py's, so a test turns the panels by moving it."""
    if pinned:
        return PANELS.index(pinned)
    now = clock.now()
    panel = st.session_state.get(PANEL_KEY)
    shown = st.session_state.get(SHOWN_KEY)
    if not isinstance(panel, int) or not 0 <= panel < len(PANELS) or not isinstance(shown, dt.datetime):
        panel, shown = 0, now
    elif (now - shown).total_seconds() >= seconds * 0.8:
        panel, shown = (panel + 1) % len(PANELS), now
    st.session_state[PANEL_KEY], st.session_state[SHOWN_KEY] = panel, shown
    return panel


def _e(text: object) -> str:
    return html.escape(str(text))


def _label(text: str, background: str) -> str:
    return f'<span class="pbi-bs-label" style="{colours.cell(background)}">{_e(text)}</span>'


def _labels(row: pd.Series) -> str:
    out = ""
    if isinstance(row["list"], str) and row["list"] in colours.LISTS:
        out += _label(row["list"], colours.LISTS[row["list"]])
    if row["yellow_card"] is True or row["yellow_card"] == 1:
        out += _label(t("rankings.yellow"), colours.YELLOW_CARD)
    return out


def _name(row: pd.Series, level: str) -> str:
    """A unit's name; a grid's with its community (grid names repeat across a city)."""
    name = f"<b>{_e(row['unit_name'])}</b>"
    if level == "grid" and isinstance(row.get("path"), str):
        name += f'<span class="pbi-bs-sub">{_e(row["path"].rsplit("/", 1)[-1])}</span>'
    return name


def _ranking(units: pd.DataFrame, level: str, index: str) -> str:
    column = f"{index}_rank"
    ranked = units.dropna(subset=[column]).sort_values([column, "unit_id"], kind="stable").head(TOP)
    if ranked.empty:
        return f'<div class="pbi-bs-empty">{_e(t("bigscreen.no_ranks"))}</div>'
    change = index == "composite"  # the published rank change is the composite's
    head = [(t("rankings.rank"), True), (t("rankings.unit"), False), (t(f"score.{index}"), True)]
    head += [(t("rankings.grade"), False)]
    head += [(t("rankings.change"), True)] if change else []
    head += [(t("rankings.list"), False)]
    rows = []
    for _, row in ranked.iterrows():
        value = row[index]
        width = 0.0 if pd.isna(value) else max(0.0, min(100.0, float(value)))
        grade = row["grade"] if isinstance(row["grade"], str) else ""
        cells = [
            f'<td class="pbi-bs-rank pbi-bs-num">{int(row[column])}</td>',
            f"<td>{_name(row, level)}</td>",
            f'<td class="pbi-bs-num"><span class="pbi-bs-bar"><span style="width:{width:.1f}%"></span></span>'
            f"<b>{score(value)}</b></td>",
            f"<td>{_label(grade, colours.GRADES.get(grade, colours.OTHER)) if grade else '—'}</td>",
        ]
        if change:
            # the first quarter (or year) has no previous rank: pandas' NA, which compares to nothing
            moved = None if pd.isna(row["rank_change"]) else row["rank_change"]
            cells.append(f'<td class="pbi-bs-num">{_e(rank_change(moved))}</td>')
        cells.append(f"<td>{_labels(row)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    header = "".join(f'<th class="pbi-bs-num">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>" for h, num in head)
    return f'<table class="pbi-bs-table"><tr>{header}</tr>{"".join(rows)}</table>'


def _list(title: str, colour: str, rows: pd.DataFrame, level: str) -> str:
    body = "".join(
        f'<tr><td class="pbi-bs-rank pbi-bs-num">{int(r["composite_rank"])}</td><td>{_name(r, level)}</td>'
        f'<td class="pbi-bs-num"><b>{score(r["composite"])}</b></td></tr>'
        for _, r in rows.head(LISTED).iterrows()
    )
    more = '<tr><td></td><td class="pbi-bs-sub">…</td><td></td></tr>' if len(rows) > LISTED else ""
    table = (
        f'<table class="pbi-bs-table">{body}{more}</table>'
        if len(rows)
        else f'<div class="pbi-bs-empty">{_e(t("bigscreen.none"))}</div>'
    )
    return f"<div><h3>{_label(title, colour)}</h3>{table}</div>"


def _lists(units: pd.DataFrame, level: str) -> str:
    red, black = listed(units, RED_LIST), listed(units, BLACK_LIST)
    yellow = units[carded(units)].sort_values("composite_rank", ascending=False, kind="stable")
    return (
        '<div class="pbi-bs-lists">'
        + _list(t("bigscreen.red", n=len(red)), colours.LISTS[RED_LIST], red, level)
        + _list(t("bigscreen.black", n=len(black)), colours.LISTS[BLACK_LIST], black, level)
        + _list(t("bigscreen.yellow", n=len(yellow)), colours.YELLOW_CARD, yellow, level)
        + "</div>"
    )


def _trends(history: pd.DataFrame, index: str, period: str, theme: Theme) -> go.Figure:
    fig = go.Figure()
    for key in SCORES:
        chosen = key == index
        fig.add_scatter(
            x=history["period"],
            y=history[key],
            name=t(f"score.{key}"),
            mode="lines+markers",
            line={"width": 6 if chosen else 3},
            marker={"size": 12 if chosen else 7},
        )
    if period in set(history["period"]):
        fig.add_shape(
            type="line", x0=period, x1=period, y0=0, y1=1, yref="paper", line={"color": theme.muted, "dash": "dot"}
        )
    fig.update_layout(
        template=theme.template,
        paper_bgcolor=theme.background,
        plot_bgcolor=theme.background,
        font={"color": theme.text, "size": CHART_FONT},
        height=CHART_HEIGHT,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "y": 1.08, "x": 0},
        hovermode="x unified",
    )
    return fig


def _look(theme: Theme) -> Look:
    return Look(
        background=theme.background,
        text=theme.text,
        template=theme.template,
        font_size=CHART_FONT,
        lines=theme.background,
        outside=theme.outside,
        not_scored=theme.not_scored,
        height=CHART_HEIGHT,
    )


def _draft_mark() -> str:
    """草稿 beside every panel's title when the screen shows a draft (else nothing)."""
    return f'<span class="pbi-bs-draft">{_e(t("packx.draft_mark"))}</span>' if draft else ""


# Meeting mode, always: a link without it opens again with it (the gate builds the viewer).
if not viewer().meeting:
    st.query_params["meeting"] = "1"
    st.rerun()

view = current()  # the official run of the period, as on every page; a draft only by an administrator's switch
s, run, f = view.stamp, view.run, view.f
draft = tables.shows_draft(view)  # then every panel says 草稿, in its heading and its footer
theme_name = _param("theme", THEMES, THEME_DEFAULT)
theme = THEMES[theme_name]
seconds = interval(st.query_params.get("interval"))
st.query_params["interval"] = str(seconds)
pinned = _param("panel", PANELS, None)
st.html(CSS.substitute(**vars(theme)))

# The city is one unit: its districts are ranked, mapped and listed (as on the map page).
level = "district" if f.level == "city" else f.level
scope_level, scope_id = f.scope_unit
scope_name = f.scope or t("level.city")
index_name = t(f"score.{f.index}")
# The fragment reruns often enough for the idle watcher never to find the display idle.
tick = min(float(seconds), max(2.0, auth.timeout().total_seconds() / 3))


@st.fragment(run_every=tick)
def screen() -> None:
    auth.keep_alive_display()
    number = _turn(pinned, seconds)
    panel = PANELS[number]
    units = data.unit_scores(s, run["run_id"], f.period, level, f.scope)
    title = {
        "ranking": t("bigscreen.ranking", index=index_name, n=min(TOP, int(units[f"{f.index}_rank"].notna().sum()))),
        "map": t("bigscreen.map", index=index_name),
        "trends": t("bigscreen.trends", unit=scope_name),
        "lists": t("bigscreen.lists"),
    }[panel]
    # f.label marks a year in progress as 年度累计（进行中）: the screen says so as every page does
    context = t("bigscreen.context", period=f.label, level=t(f"level.{level}"), scope=scope_name)
    dots = "".join("●" if i == number else "○" for i in range(len(PANELS)))
    st.html(
        f'<div class="pbi-bs pbi-bs-head" data-panel="{panel}" data-theme="{theme_name}">'
        f'<div class="pbi-bs-title">{_e(title)}{_draft_mark()}</div>'
        f'<div class="pbi-bs-context">{_e(context)}<span class="pbi-bs-dots">{dots}</span> '
        f'<span class="pbi-bs-position">{number + 1} / {len(PANELS)}</span></div></div>'
    )
    if panel == "ranking":
        st.html(f'<div class="pbi-bs">{_ranking(units, level, f.index)}</div>')
    elif panel == "lists":
        st.html(f'<div class="pbi-bs">{_lists(units, level)}</div>')
    elif panel == "trends":
        # its quarters (or its years), each as published for it; a draft screen: the draft run for all
        history = data.unit_history(s, data.history_runs(s, view.choice), scope_level, scope_id, f.kind)
        if history.empty:
            st.html(f'<div class="pbi-bs pbi-bs-empty">{_e(t("bigscreen.no_history"))}</div>')
        else:
            chart = _trends(history, f.index, f.period, theme)
            st.plotly_chart(chart, key="bs_trends", theme=None, config={"displayModeBar": False})
    else:
        shapes = data.unit_geometry(s, level, f.scope)
        if shapes is None or not shapes["geojson"]["features"]:
            message = t("map.no_geometry") if shapes is None else t("map.none")
            st.html(f'<div class="pbi-bs pbi-bs-empty">{_e(message)}</div>')
        else:
            labels = (index_name, *(t(f"score.{k}") for k in SCORES), t("map.grade"))
            chart = figure(s, level, f.scope, viewer().scope, run["run_id"], f.period, f.index, labels, _look(theme))
            st.plotly_chart(chart, key="bs_map", theme=None, config={"displayModeBar": False, "scrollZoom": False})
    footer = t("bigscreen.pinned") if pinned else t("bigscreen.footer", seconds=seconds)
    note = f'<span class="pbi-bs-draft">{_e(t("packx.bigscreen_draft", run=run["run_id"]))}</span>' if draft else ""
    st.html(f'<div class="pbi-bs pbi-bs-foot">{note}{_e(footer)}</div>')


screen()

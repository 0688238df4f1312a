"""The meeting pack page (会议材料, views/pack.py) in AppTest: its figures against the marts and
pipelines.report.pack, the workbook and deck it offers (opened with openpyxl and python-pptx),
the viewer's scope and name masking in both files, the audit of each download, the scorecard
count, and injection strings in the URL."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from streamlit.testing.v1 import AppTest

from pipelines.access import audit
from pipelines.access.scope import covers
from pipelines.engine.scores_db import connect_read
from pipelines.report import pack
from tests.signin import app, capture_downloads

LEVEL_NAMES = {"grid": "网格", "community": "社区", "street": "街道", "district": "区县", "city": "全市"}
SHEETS = ("封面", "排名", "红榜", "黑榜", "黄牌", "整改清单", "先锋党员", "方法说明")
OTHER = "西湖区"  # the district of two_districts no demo user is bound to
SCOPES = {"district": "上城区", "street": "上城区/东湖街道", "community": "上城区/东湖街道/湖湾社区", "city": ""}
INJECTIONS = ("' OR 1=1 --", "%", ";DROP TABLE grids")
# In clear: an 18-digit ID number, an 11-digit mobile number (not digits of a longer number,
# an identifier or a decimal fraction).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z.])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9A-Za-z.*])1\d{10}(?![0-9A-Za-z*])")
NAME_MASKED = re.compile(r".\*+.?")  # 张*明, 张*


def _sql(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute(sql, params or []).df()


def _periods(db: Path) -> list[str]:
    """The run's quarters (the annual pack has tests of its own: tests/report/test_annual.py)."""
    return _sql(
        db,
        "SELECT DISTINCT period FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs)"
        " AND period LIKE '%Q%' ORDER BY 1",
    )["period"].tolist()


def _marts(db: Path, period: str, level: str) -> pd.DataFrame:
    """Every unit of the level in the quarter of the latest run, with its place (a grid: its
    community's path) and its published rank."""
    return _sql(
        db,
        """SELECT u.unit_id, u.unit_name, u.composite_rank, u.grade, u.list, u.yellow_card,
               CASE WHEN u.level = 'grid' THEN concat_ws('/', g.district, g.street, g.community) ELSE u.unit_id END
                   AS path
           FROM unit_scores u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
           WHERE u.run_id = (SELECT max(run_id) FROM runs) AND u.period = ? AND u.level = ?""",
        [period, level],
    )


def _names(db: Path) -> set[str]:
    return set(_sql(db, "SELECT DISTINCT name FROM members WHERE name IS NOT NULL AND name <> ''")["name"])


def _expected(db: Path, period: str, level: str, scope: str = "", **kwargs) -> pack.Pack:
    with connect_read(db) as con:
        return pack.build(con, period, level, scope, **kwargs)


# --- reading the files ------------------------------------------------------------------------


def _files(payloads: dict[str, bytes]) -> tuple[str, str]:
    """The names of the workbook and the deck the page offered."""
    xlsx = [n for n in payloads if n.endswith(".xlsx")]
    pptx = [n for n in payloads if n.endswith(".pptx")]
    assert len(xlsx) == 1 and len(pptx) == 1, list(payloads)
    return xlsx[0], pptx[0]


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _table(book: openpyxl.Workbook, sheet: str, first: str) -> list[dict]:
    """The rows of the table on `sheet` whose header row starts with `first`."""
    rows = list(book[sheet].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r and r[0] == first)
    header = ["" if h is None else str(h).strip() for h in rows[top]]
    out = []
    for row in rows[top + 1 :]:
        if all(v is None for v in row):
            break
        out.append(dict(zip(header, row, strict=False)))
    return out


def _cells(book: openpyxl.Workbook) -> str:
    return "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    )


def _charts(deck) -> list:
    return [shape.chart for slide in deck.slides for shape in slide.shapes if shape.has_chart]


def _slide_charts(deck, heading: str) -> list:
    """The charts of the slides whose heading starts with `heading`."""
    out = []
    for slide in deck.slides:
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        if texts and texts[0].startswith(heading):
            out += [s.chart for s in slide.shapes if s.has_chart]
    return out


def _slide_text(deck) -> str:
    """Every text on the slides: text boxes, table cells, and the charts' titles, categories
    and series names."""
    parts: list[str] = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart:
                chart = shape.chart
                if chart.has_title:
                    parts.append(chart.chart_title.text_frame.text)
                for plot in chart.plots:
                    parts += [str(c) for c in plot.categories]
                    parts += [s.name for s in plot.series]
    return "\n".join(parts)


def _deck_table(deck, first_header: str, column: str) -> list[str]:
    """A column of the slide table whose header starts with `first_header`."""
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_table:
                rows = [[c.text for c in row.cells] for row in shape.table.rows]
                if rows[0][0] == first_header and column in rows[0]:
                    at = rows[0].index(column)
                    return [r[at] for r in rows[1:]]
    raise AssertionError(f"no table {first_header}… with {column}")


def _zip_text(data: bytes) -> str:
    """Every XML part of an Office file, and of the workbooks embedded in it (a chart's data)."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                parts.append(z.read(name).decode("utf-8", "replace"))
            elif name.endswith(".xlsx"):
                parts.append(_zip_text(z.read(name)))
    return "\n".join(parts)


def _no_personal_numbers(text: str, where: str) -> None:
    assert not ID_NUMBER.search(text), (where, ID_NUMBER.search(text))
    assert not PHONE.search(text), (where, PHONE.search(text))


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _count(value: str) -> int:
    return int(value.replace(",", ""))


def _events(event: str = "download") -> pd.DataFrame:
    log = audit.read()
    return log[log["event"] == event].sort_values("seq")


# --- figures and files against the marts --------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "quarter"), [("grid", -1), ("community", -2), ("street", -1), ("district", 0), ("city", 0)]
)
def test_figures_and_files_match_the_marts(monkeypatch, published_demo, level, quarter):
    period = _periods(published_demo)[quarter]
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, published_demo, "pack", user="city", period=period, level=level)
    assert not at.exception
    assert at.title[0].value == f"会议材料 · {LEVEL_NAMES[level]} · {period}"

    marts = _marts(published_demo, period, level)
    rectify = _sql(
        published_demo,
        "SELECT unit_id FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) AND period = ? AND level = ? "
        "AND (grade = '较差' OR list = '黑榜' OR yellow_card)",
        [period, level],
    )
    expected = _expected(published_demo, period, level)
    metrics = _metrics(at)
    assert _count(metrics["单位"]) == len(marts) == len(expected.units) > 0
    assert _count(metrics["整改清单"]) == len(rectify) == len(expected.rectification)
    assert set(expected.rectification["unit_id"]) == set(rectify["unit_id"])
    assert _count(metrics["评分卡"]) == min(30, len(marts)) == len(expected.scorecards)
    assert metrics["党员姓名"] == "已脱敏"
    assert [b.label for b in at.get("download_button")] == ["下载考评工作簿（Excel）", "下载汇报幻灯片（PowerPoint）"]

    xlsx, pptx = _files(payloads)
    assert (xlsx, pptx) == tuple(f"党建指数考评_{period}_{LEVEL_NAMES[level]}_全市_运行1.{x}" for x in ("xlsx", "pptx"))
    book = _book(payloads[xlsx])
    assert set(SHEETS) <= set(book.sheetnames)
    assert len([s for s in book.sheetnames if s.startswith("卡")]) == min(30, len(marts))
    ranking = _table(book, "排名", "排名")
    published = marts.set_index("unit_id")
    assert sorted(r["单位编码"] for r in ranking) == sorted(published.index)
    for r in ranking:  # the published rank of each unit, unranked ones blank
        rank = published.loc[r["单位编码"], "composite_rank"]
        assert (r["排名"] is None) if pd.isna(rank) else int(r["排名"]) == int(rank), r
    assert sum(r["黄牌"] == "黄牌" for r in ranking) == int(marts["yellow_card"].fillna(False).sum())
    for name in ("红榜", "黑榜"):
        assert sum(r["榜单"] == name for r in ranking) == int((marts["list"] == name).sum())
        assert len(_table(book, name, "排名")) == int((marts["list"] == name).sum())
    rectification = _table(book, "整改清单", "序号")
    assert len(rectification) == len(rectify)
    assert {r["单位"] for r in rectification} == set(published.loc[rectify["unit_id"], "unit_name"])

    deck = Presentation(io.BytesIO(payloads[pptx]))
    charts = _charts(deck)
    kinds = {c.chart_type for c in charts}
    assert XL_CHART_TYPE.BAR_CLUSTERED in kinds and XL_CHART_TYPE.LINE_MARKERS in kinds, kinds
    assert XL_CHART_TYPE.COLUMN_CLUSTERED in kinds
    bars = _slide_charts(deck, f"{LEVEL_NAMES[level]}综合指数排名")
    assert bars and all(c.chart_type == XL_CHART_TYPE.BAR_CLUSTERED for c in bars)
    scored = _sql(
        published_demo,
        "SELECT unit_name FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) AND period = ? AND level = ? "
        "AND composite IS NOT NULL ORDER BY composite DESC, composite_rank, unit_id",
        [period, level],
    )["unit_name"].tolist()
    shown = [str(c) for chart in bars for c in chart.plots[0].categories]
    assert len(shown) == (len(scored) if len(scored) <= 25 else 30)  # every unit, or the top and bottom 15
    assert set(shown) <= set(scored) and shown[0] == scored[0]
    _no_personal_numbers(_cells(book) + _zip_text(payloads[xlsx]), xlsx)
    _no_personal_numbers(_slide_text(deck) + _zip_text(payloads[pptx]), pptx)


# --- scope: a unit user asking for the other district -------------------------------------------


@pytest.fixture(scope="module")
def places(two_districts) -> pd.DataFrame:
    """Every grid with its name and community path."""
    return _sql(
        two_districts,
        "SELECT grid_id, grid_name, district, street, community, concat_ws('/', district, street, community) AS path "
        "FROM grids",
    )


def _words_outside(places: pd.DataFrame, scope: str) -> set[str]:
    """Grid ids, and names of grids, communities, streets and districts, found only outside
    `scope` (a name also used inside it left out)."""
    inside = places["path"].map(lambda p: covers(scope, p))
    columns = ["grid_id", "grid_name", "community", "street", "district"]
    outside = {w for c in columns for w in places.loc[~inside, c]}
    return outside - {w for c in columns for w in places.loc[inside, c]}


@pytest.mark.parametrize("level", ["grid", "community"])
@pytest.mark.parametrize("asked", [OTHER, None])
@pytest.mark.parametrize("role", ["district", "street", "community"])
def test_the_pack_holds_only_the_viewers_scope(monkeypatch, two_districts, places, role, asked, level):
    scope = SCOPES[role]
    words = _words_outside(places, scope)
    assert OTHER in words  # there is something to leak
    payloads = capture_downloads(monkeypatch)
    params = {"level": level} | ({"scope": asked} if asked else {})
    at = app(monkeypatch, two_districts, "pack", user=role, **params)
    assert not at.exception
    xlsx, pptx = _files(payloads)
    assert scope.replace("/", "-") in xlsx and OTHER not in xlsx + pptx  # the file names

    period = _periods(two_districts)[-1]
    marts = _marts(two_districts, period, level).set_index("unit_id")
    own = marts[marts["path"].map(lambda p: covers(scope, p))]
    book = _book(payloads[xlsx])
    ranking = _table(book, "排名", "排名")
    units = [r["单位编码"] for r in ranking]
    assert sorted(units) == sorted(own.index) and units  # exactly the scope's units
    assert all(covers(scope, marts.loc[u, "path"]) for u in units)
    assert _count(_metrics(at)["单位"]) == len(units)
    for r in ranking:  # the ranks of the whole level, not re-ranked within the scope
        rank = marts.loc[r["单位编码"], "composite_rank"]
        assert (r["排名"] is None) if pd.isna(rank) else int(r["排名"]) == int(rank), r
    if level == "grid":
        assert max(int(r["排名"]) for r in ranking if r["排名"] is not None) > len(ranking) or role == "district"

    # 双报到: a reporting organisation is named when it is based in the scope or one of its
    # members serves in a grid there; its name may hold another district's ("西湖区…局") and
    # is taken out of the text before looking for leaks.
    orgs = _expected(two_districts, period, level, scope).reporting_orgs
    listed = set(orgs["org_name"]) if orgs is not None else set()
    reaching = _sql(
        two_districts,
        "SELECT DISTINCT o.org_name, concat_ws('/', g.district, g.street, g.community) AS path, o.district "
        "FROM org_points o JOIN members m ON m.reporting_org_id = o.org_id JOIN grids g USING (grid_id)",
    )
    reaching = reaching[
        reaching["path"].map(lambda p: covers(scope, p))
        | reaching["district"].map(lambda d: covers(scope, d) if isinstance(d, str) else False)
    ]
    assert listed <= set(reaching["org_name"]), sorted(listed - set(reaching["org_name"]))[:5]
    deck = Presentation(io.BytesIO(payloads[pptx]))
    for where, text in (
        (pptx, _slide_text(deck)),
        (xlsx, _cells(book)),
        (f"{pptx} parts", _zip_text(payloads[pptx])),
        (f"{xlsx} parts", _zip_text(payloads[xlsx])),
    ):
        for name in sorted(listed, key=len, reverse=True):
            text = text.replace(name, "")
        leaked = sorted(w for w in words if w in text)
        assert not leaked, (role, params, where, leaked[:5])
    names = set(_sql(two_districts, "SELECT unit_name FROM unit_scores WHERE level = ?", [level])["unit_name"])
    assert {u for u in names if u in _slide_text(deck)} <= set(own["unit_name"])


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "params", "clear"),
    [
        ("city", {}, False),  # no pii
        ("admin", {}, True),  # pii
        ("admin", {"meeting": "1"}, False),  # pii, but meeting mode
    ],
)
def test_member_names_masked_unless_shown(monkeypatch, published_demo, user, params, clear):
    names = _names(published_demo)
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, published_demo, "pack", user=user, level="community", **params)
    assert not at.exception
    assert _metrics(at)["党员姓名"] == ("明文" if clear else "已脱敏")
    xlsx, pptx = _files(payloads)
    book = _book(payloads[xlsx])
    deck = Presentation(io.BytesIO(payloads[pptx]))
    in_book = [r["姓名"] for r in _table(book, "先锋党员", "序号")]
    in_deck = _deck_table(deck, "序号", "姓名")
    assert len(in_book) == pack.TOP_MEMBERS and len(in_deck) == 10
    assert in_deck == in_book[:10]
    if clear:
        assert set(in_book) <= names
    else:
        assert all(NAME_MASKED.fullmatch(n) and n not in names for n in in_book), in_book
        texts = _cells(book) + _slide_text(deck) + _zip_text(payloads[xlsx]) + _zip_text(payloads[pptx])
        shown = sorted(n for n in names if len(n) >= 3 and n in texts)  # a two-character name can be in any word
        assert not shown, shown[:5]
    note = "党员姓名为明文（申请人有查看权限）" if clear else "党员姓名已脱敏（张*明）"
    assert note in _cells(book) and note in _slide_text(deck)
    _no_personal_numbers(_cells(book) + _zip_text(payloads[xlsx]), xlsx)
    _no_personal_numbers(_slide_text(deck) + _zip_text(payloads[pptx]), pptx)


# --- the audit of each download -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "params", "names"),
    [("city", {}, "masked"), ("district", {"scope": OTHER}, "clear")],  # the district user asking for 西湖区
)
def test_each_download_is_audited(monkeypatch, two_districts, user, params, names):
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, two_districts, "pack", user=user, level="grid", **params)
    assert not at.exception and _events().empty  # drawing the buttons audits nothing
    units = _count(_metrics(at)["单位"])
    period = _periods(two_districts)[-1]
    files = _files(payloads)
    for n, what in enumerate(("report.xlsx", "report.pptx")):
        at.get("download_button")[n].click().run()
        assert not at.exception
        rows = _events()
        assert len(rows) == n + 1, rows  # one row per click
        row = rows.iloc[-1]
        assert (row["actor"], row["what"], row["scope"] or "", row["row_count"]) == (user, what, SCOPES[user], units)
        detail = json.loads(row["detail"])
        assert detail == {
            "file": files[n],
            "period": period,
            "level": "grid",
            "run": 1,
            "scorecards": min(30, units),
            "names": names,
        }
    assert audit.verify() == (len(audit.read()), [])


# --- scorecards and URL parameters --------------------------------------------------------------


def _cards(payloads: dict[str, bytes]) -> list[str]:
    return [s for s in _book(payloads[_files(payloads)[0]]).sheetnames if s.startswith("卡")]


@pytest.mark.parametrize(("level", "asked"), [("grid", 0), ("grid", 5), ("district", 5)])
def test_the_scorecard_count(monkeypatch, published_demo, level, asked):
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, published_demo, "pack", user="city", level=level)
    assert len(_cards(payloads)) == min(30, _count(_metrics(at)["单位"]))  # 30 by default
    at.number_input[0].set_value(asked).run()
    assert not at.exception
    period = _periods(published_demo)[-1]
    marts = _marts(published_demo, period, level).sort_values(["composite_rank", "unit_id"], na_position="last")
    expected = min(asked, len(marts))
    assert _count(_metrics(at)["评分卡"]) == expected
    cards = _cards(payloads)
    assert len(cards) == expected
    assert cards == [f"卡{n:02d} {name}"[:31] for n, name in enumerate(marts["unit_name"].head(expected), start=1)]


@pytest.mark.parametrize("param", ["period", "level", "scope"])
def test_injection_strings_in_the_url_fall_back_to_the_defaults(monkeypatch, published_demo, param):
    grids = _sql(published_demo, "SELECT count(*) AS n FROM grids")["n"].iloc[0]
    clean = capture_downloads(monkeypatch)
    plain = app(monkeypatch, published_demo, "pack", user="city")
    period = _periods(published_demo)[-1]
    assert plain.title[0].value == f"会议材料 · 网格 · {period}"
    expected = [r["单位编码"] for r in _table(_book(clean[_files(clean)[0]]), "排名", "排名")]
    for value in INJECTIONS:
        payloads = capture_downloads(monkeypatch)
        at = app(monkeypatch, published_demo, "pack", user="city", **{param: value})
        assert not at.exception, (param, value)
        assert at.title[0].value == plain.title[0].value
        assert _metrics(at) == _metrics(plain)
        assert _files(payloads) == _files(clean)
        assert [r["单位编码"] for r in _table(_book(payloads[_files(payloads)[0]]), "排名", "排名")] == expected
    assert _sql(published_demo, "SELECT count(*) AS n FROM grids")["n"].iloc[0] == grids  # the warehouse is whole

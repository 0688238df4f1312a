"""The meeting pack under hostile names (issue 19, cases 11 and 15): unit names that a spreadsheet
would run (=HYPERLINK(…), + - @, a leading tab or carriage return, an address) stay text in the
deck's chart workbooks and in the pack's own workbook; a community name of 90 or 200 characters
gives file names a file system accepts, distinct and readable. Each test builds its hostile
warehouse itself: a copy of the published demo city with units renamed."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import duckdb
import openpyxl
import pytest

from pipelines.access.cells import inert_value
from pipelines.cli import main
from pipelines.engine.scores_db import scores_path
from pipelines.report import labels

PERIOD = "2025Q4"
# Renamed grids, best first in their district, so that all are on the deck's ranking chart.
HOSTILE = [
    '=HYPERLINK("http://example.com/x","点我")',
    "+1+2",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "http://example.com/y",
    "O'Brien'",  # an apostrophe at the end of a sheet name is refused by Excel
]
LONG = {90: "长" * 90, 200: "远" * 200}


@pytest.fixture(scope="module")
def hostile(published_demo, tmp_path_factory) -> SimpleNamespace:
    """A copy of the demo city: the best grids of the first district renamed HOSTILE, and two of
    its communities renamed with 90 and 200 characters (warehouse, geometry and results)."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "pbi.duckdb"
    shutil.copy(published_demo, db)
    shutil.copy(scores_path(published_demo), scores_path(db))
    with duckdb.connect(str(db)) as w:
        communities = w.execute("SELECT DISTINCT district, street, community FROM grids ORDER BY ALL").fetchall()
        district = communities[0][0]
        grids = [g for (g,) in w.execute("SELECT grid_id FROM grids WHERE district = ?", [district]).fetchall()]
        scopes = {}
        for (d, s, c), (n, name) in zip(communities, LONG.items(), strict=False):
            w.execute("UPDATE grids SET community = ? WHERE (district, street, community) = (?, ?, ?)", [name, d, s, c])
            scopes[n] = (f"{d}/{s}/{c}", f"{d}/{s}/{name}")
            w.execute("UPDATE unit_geometry SET unit_id = ? WHERE unit_id = ?", [scopes[n][1], scopes[n][0]])
    with duckdb.connect(str(scores_path(db))) as r:
        for old, new in scopes.values():
            r.execute(
                "UPDATE unit_scores SET unit_id = ?, unit_name = ? WHERE unit_id = ?", [new, new.split("/")[-1], old]
            )
            r.execute("UPDATE indicator_scores SET unit_id = ? WHERE unit_id = ?", [new, old])
        best = r.execute(
            """SELECT u.unit_id FROM unit_scores u
               WHERE u.level = 'grid' AND u.period = ? AND u.run_id = (SELECT max(run_id) FROM runs)
                 AND u.composite_rank IS NOT NULL
                 AND list_contains(?, u.unit_id)
               ORDER BY u.composite DESC LIMIT ?""",
            [PERIOD, grids, len(HOSTILE)],
        ).fetchall()
        for (grid,), name in zip(best, HOSTILE, strict=True):
            r.execute("UPDATE unit_scores SET unit_name = ? WHERE unit_id = ?", [name, grid])
    return SimpleNamespace(db=db, district=district, scopes={n: new for n, (_, new) in scopes.items()})


def _report(db: Path, out: Path, *args: str) -> tuple[Path, Path]:
    assert main(["report", "--db", str(db), "--period", PERIOD, "--out", str(out), *args]) == 0
    xlsx, pptx = sorted(out.glob("*.xlsx")), sorted(out.glob("*.pptx"))
    assert len(xlsx) == 1 and len(pptx) == 1
    return xlsx[0], pptx[0]


def _cells(blob: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(blob))
    return [cell for ws in book for row in ws.iter_rows() for cell in row if cell.value is not None]


def _chart_books(pptx: Path) -> list[bytes]:
    with zipfile.ZipFile(pptx) as z:
        return [z.read(n) for n in z.namelist() if n.startswith("ppt/embeddings/") and n.endswith(".xlsx")]


def test_deck_chart_workbooks_hold_names_as_text(hostile, tmp_path):
    # No scorecards: the deck is checked on its own (the workbook's sheet names are the next test).
    _, pptx = _report(hostile.db, tmp_path, "--level", "grid", "--scope", hostile.district, "--scorecards", "0")
    books = _chart_books(pptx)
    assert books, "the deck has native charts with their data inside"
    cells = [c for b in books for c in _cells(b)]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []  # no live formula
    assert [c.coordinate for c in cells if c.hyperlink] == []  # no address turned into a link
    shown = {c.value for c in cells if c.data_type == "s"}
    # As the chart shows them (a carriage return is stored in Excel's _x000D_ form).
    for name in HOSTILE:
        assert name.replace("\r", "_x000D_") in shown, name


def test_pack_workbook_holds_names_as_inert_text(hostile, tmp_path):
    xlsx, _ = _report(hostile.db, tmp_path, "--level", "grid", "--scope", hostile.district)
    cells = _cells(xlsx.read_bytes())
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.coordinate for c in cells if c.hyperlink] == []
    book = openpyxl.load_workbook(xlsx)
    ranking = book["排名"]
    header = [c.value for c in ranking[1]]
    names = {row[header.index("单位")] for row in ranking.iter_rows(min_row=2, values_only=True)}
    for name in HOSTILE:
        assert str(inert_value(name)).replace("\r", "_x000D_") in names, name
    # Every scorecard title starting with a formula-like name is made plain too.
    titles = [ws["A1"].value for ws in book if ws.title.startswith("卡")]
    assert titles and not [t for t in titles if t[0] in "=+-@\t\r"]
    # The sheet of the name ending in an apostrophe was made (Excel refuses one at either end).
    assert [ws.title for ws in book if ws.title.startswith("卡") and "O'Brien" in ws.title]


@pytest.mark.parametrize("length", sorted(LONG))
def test_long_community_names_give_files_a_file_system_accepts(hostile, tmp_path, length):
    scope = hostile.scopes[length]
    xlsx, pptx = _report(hostile.db, tmp_path, "--level", "grid", "--scope", scope, "--scorecards", "0")
    for path in (xlsx, pptx):
        assert len(path.name.encode()) <= 255
        assert path.name.startswith(f"党建指数考评_{PERIOD}_网格_{scope.replace('/', '-')[:20]}")
        assert path.name.endswith("_运行1" + path.suffix)
    assert xlsx.stem == pptx.stem


def test_file_stem_is_safe_distinct_and_keeps_ordinary_names():
    def stem(scope: str) -> str:
        fake = SimpleNamespace(period=PERIOD, level="grid", scope=scope, run={"run_id": 3}, is_year=False)
        return labels.file_stem(fake)

    assert stem("") == f"党建指数考评_{PERIOD}_网格_全市_运行3"
    year = SimpleNamespace(period="2025", level="grid", scope="", run={"run_id": 3}, is_year=True, complete=False)
    assert labels.file_stem(year) == "党建指数_2025年度累计_网格_全市_运行3"
    assert stem("西湖区/大关街道") == f"党建指数考评_{PERIOD}_网格_西湖区-大关街道_运行3"
    hostile = stem('上城区/..\\街道\x00\n/社:区*?"<>|\u202e')
    assert not set(hostile) & set('/\\\x00\n:*?"<>|\u202e')
    assert hostile.startswith(f"党建指数考评_{PERIOD}_网格_上城区-.._街道__-社_区")
    # Two long scopes that differ only at the end have different names, each within bounds.
    a, b = stem("区/街/" + "长" * 199 + "甲"), stem("区/街/" + "长" * 199 + "乙")
    assert a != b and max(len(a.encode()), len(b.encode())) <= labels.STEM_BYTES
    # A changed name never meets an ordinary one.
    assert stem("区/街/社:区") != stem("区/街/社_区")

"""The meeting pack (会议材料) in a real browser (Debian's headless Chromium, as in
test_pages.py): a city user signs in through the form, opens the pack page for a quarter at
community level, and downloads the workbook and the deck (made on the click). The files open
with openpyxl and python-pptx, hold the marts' units and native charts, and each click is one
row in the audit log; no console error, no request off this machine."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation

from pipelines.access import audit
from pipelines.engine.scores_db import connect_read
from tests.browser.helpers import audited, download, last_seq, offline, pick, serve, settled, sign_in

XLSX, PPTX = "下载考评工作簿（Excel）", "下载汇报幻灯片（PowerPoint）"


@pytest.fixture(scope="module")
def pack_server(published_demo, demo_users, tmp_path_factory):
    """`streamlit run` over the demo city (read only), with its own audit log: (URL, log)."""
    log = tmp_path_factory.mktemp("browser_pack") / "audit.duckdb"
    for url in serve(published_demo, demo_users, log):
        yield url, log


def _units(db: Path, period: str, level: str) -> list[str]:
    with connect_read(db) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT unit_id FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) "
                "AND period = ? AND level = ? ORDER BY unit_id",
                [period, level],
            ).fetchall()
        ]


def _period(db: Path) -> str:
    """The quarter before the latest (so the link's period is the one used, not the default)."""
    with connect_read(db) as con:
        periods = [r[0] for r in con.execute("SELECT DISTINCT period FROM unit_scores ORDER BY 1").fetchall()]
    return periods[-2]


def test_the_pack_downloads_in_a_browser(pack_server, published_demo, watched):
    url, log = pack_server
    page, hosts, errors = watched
    period = _period(published_demo)
    expected = _units(published_demo, period, "community")
    assert len(expected) > 1
    sign_in(page, f"{url}/pack?period={period}&level=community", "city", f"会议材料 · 社区 · {period}")

    before = last_seq(log)
    xlsx = download(page, XLSX)
    events = audited(log, "city", before, 1)
    assert events["what"].tolist() == ["report.xlsx"], events
    book = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))
    assert {"封面", "排名", "整改清单", "先锋党员"} <= set(book.sheetnames)
    rows = list(book["排名"].iter_rows(values_only=True))
    code = rows[0].index("单位编码")
    assert sorted(r[code] for r in rows[1:] if any(v is not None for v in r)) == expected

    pptx = download(page, PPTX)
    audited(log, "city", before, 2)  # the second click's row, once written
    deck = Presentation(io.BytesIO(pptx.read_bytes()))
    charts = [shape.chart for slide in deck.slides for shape in slide.shapes if shape.has_chart]
    assert len(charts) >= 3  # native charts, their data inside
    assert all(len(list(c.plots[0].categories)) > 0 for c in charts)

    # A late duplicate would be written by a later run of the same session: have the page run
    # once more (another level) and wait until that run is over, then count.
    pick(page, "层级", "网格")
    settled(page, f"会议材料 · 网格 · {period}")
    events = audit.read(actors=["city"], events=["download"], path=log)
    events = events[events["seq"] > before].sort_values("seq")
    assert events["what"].tolist() == ["report.xlsx", "report.pptx"], events  # one row per click
    assert events["row_count"].tolist() == [len(expected)] * 2 and set(events["scope"].fillna("")) == {""}
    assert page.locator("[data-testid='stException']").count() == 0
    offline(hosts, errors)

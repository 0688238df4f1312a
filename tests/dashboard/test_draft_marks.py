"""Drafts marked wherever they leave the page (AppTest), over a copy of the demo city whose
second-to-last quarter is published with run 1 and then computed again (run 2, the latest), so
the last quarter has no official run and the published one's official run is not the latest:

- an administrator's draft (the switch, ?draft=1) gives a draft meeting pack — 草稿 on every
  sheet's printed header and every slide, as the command line makes one — and every download
  is named 草稿_… and labelled 草稿; the official view's downloads are not;
- the big screen shows 草稿 on every panel of a draft, and a unit user's never;
- the 加减分 page speaks of the run shown for the chosen period (run 1 for the published quarter),
  not the latest computation."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import openpyxl
import pytest
from pptx import Presentation

from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import connect_read
from pipelines.evaluation import adjustments, review
from pipelines.serve import periods as serve_periods
from pipelines.serve import runs
from tests.signin import app, capture_downloads

T0 = dt.datetime(2026, 1, 5, 9, 0)
PANELS = ("ranking", "map", "trends", "lists")


@pytest.fixture(scope="module")
def city(published_demo, demo_users, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("draft_marks")
    shutil.copytree(published_demo.parent, folder / "warehouse")
    db = folder / "warehouse" / published_demo.name
    with connect_read(db) as con:
        quarters = [p for p in serve_periods.periods(con, runs.resolve(con)) if "Q" in p]
    published, draft = quarters[-2:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(demo_users))
        patch.setenv("PBI_AUDIT", str(folder / "audit.duckdb"))
        review.submit(db, published, by="admin", at=T0)
        review.approve(db, published, by="approver", at=T0)
        review.publish(db, published, by="admin", at=T0 + dt.timedelta(days=6))
        compute(db, load_methodology())
        with connect_read(db) as con:
            district = con.execute("SELECT min(district) FROM grids").fetchone()[0]
        adjustments.add(
            db, level="district", unit=district, period=draft, kind="加分", points=1, reason="表彰", by="admin"
        )
    with connect_read(db) as con:
        assert runs.resolve(con) == 2 and runs.resolve(con, period=published) == 1
    return {"db": db, "published": published, "draft": draft}


def _headers(book: openpyxl.Workbook) -> dict[str, str]:
    return {ws.title: ws.oddHeader.left.text or "" for ws in book.worksheets}


def _slides(deck: Presentation) -> list[str]:
    return ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in deck.slides]


def test_an_administrators_draft_pack_is_marked_on_every_sheet_slide_and_file(monkeypatch, city):
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, city["db"], "pack", user="admin", period=city["draft"], draft="1", level="district")
    assert not at.exception and not at.error
    names = sorted(payloads)
    assert len(names) == 2 and all(n.startswith("草稿_") for n in names), names
    assert all("草稿" in b.label for b in at.get("download_button"))
    xlsx = next(n for n in names if n.endswith(".xlsx"))
    pptx = next(n for n in names if n.endswith(".pptx"))
    assert "运行2" in xlsx  # the latest run, the draft shown
    book = openpyxl.load_workbook(io.BytesIO(payloads[xlsx]))
    headers = _headers(book)
    assert len(headers) >= 9 and all("草稿" in h for h in headers.values()), headers
    assert all("草稿" in (ws.oddFooter.left.text or "") for ws in book.worksheets)
    slides = _slides(Presentation(io.BytesIO(payloads[pptx])))
    assert len(slides) >= 10 and all("草稿" in s for s in slides)


def test_the_official_views_downloads_are_not_marked(monkeypatch, city):
    payloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, city["db"], "pack", user="admin", period=city["published"], level="district")
    assert not at.exception and not at.error
    assert payloads and not any("草稿" in n for n in payloads)
    assert not any("草稿" in b.label for b in at.get("download_button"))
    xlsx = next(n for n in payloads if n.endswith(".xlsx"))
    assert "运行1" in xlsx  # the published quarter's official run, not the latest
    book = openpyxl.load_workbook(io.BytesIO(payloads[xlsx]))
    assert not any("草稿" in h for h in _headers(book).values())


@pytest.mark.parametrize("draft", [True, False])
def test_ranking_downloads_carry_the_mark_only_in_a_draft_view(monkeypatch, city, draft):
    payloads = capture_downloads(monkeypatch)
    params = {"period": city["draft"], "draft": "1"} if draft else {"period": city["published"]}
    at = app(monkeypatch, city["db"], "rankings", user="admin", level="street", **params)
    assert not at.exception and not at.error
    assert sorted(n.rsplit(".", 1)[1] for n in payloads) == ["csv", "xlsx"]
    assert all(n.startswith("草稿_") == draft for n in payloads), list(payloads)
    assert all(("草稿" in b.label) == draft for b in at.get("download_button"))


@pytest.mark.parametrize("panel", PANELS)
def test_the_big_screen_marks_every_panel_of_a_draft(monkeypatch, city, panel):
    params = {"period": city["draft"], "draft": "1", "meeting": "1", "panel": panel, "level": "street"}
    at = app(monkeypatch, city["db"], "bigscreen", user="admin", **params)
    assert not at.exception and not at.error
    html = [e.proto.body for e in at.get("html")]
    head = next(b for b in html if "data-panel=" in b)
    assert f'data-panel="{panel}"' in head and 'class="pbi-bs-draft">草稿<' in head
    foot = next(b for b in html if "pbi-bs-foot" in b)
    assert "草稿" in foot and "运行 #2" in foot


def test_a_unit_users_big_screen_is_never_a_draft(monkeypatch, city):
    at = app(monkeypatch, city["db"], "bigscreen", user="community", meeting="1", panel="ranking")
    assert not at.exception and not at.error
    html = "".join(e.proto.body for e in at.get("html"))
    assert "data-panel=" in html and 'pbi-bs-draft">' not in html and "草稿" not in html.split("</style>")[-1]
    assert city["draft"] not in html  # offered the published quarter only
    at = app(monkeypatch, city["db"], "bigscreen", user="community", meeting="1", draft="1")
    assert [e.value for e in at.error] == ["该内容不在您的权限范围内。此次访问已记录。"]


@pytest.mark.parametrize(("period", "run"), [("published", 1), ("draft", 2)])
def test_the_adjustments_page_speaks_of_the_run_shown(monkeypatch, city, period, run):
    params = {"period": city[period]} | ({"draft": "1"} if period == "draft" else {})
    at = app(monkeypatch, city["db"], "adjustments", user="admin", **params)
    assert not at.exception and not at.error
    note = next(i.value for i in at.info if "下一次计算" in i.value)
    assert f"当前展示的是第 {run} 次计算" in note
    table = at.dataframe[-1].value
    assert ("第 1 次计算已计入" if run == 1 else "最新计算已计入") in table.columns


def test_an_administrator_enters_adjustments_for_a_quarter_without_an_official_run(monkeypatch, city):
    at = app(monkeypatch, city["db"], "adjustments", user="admin", period=city["draft"])  # no ?draft=1
    assert not at.exception and not at.error
    assert any("草稿" in w.value for w in at.warning)  # the latest computation, marked as a draft
    assert "提交录入" in [b.label for b in at.button]  # the entry form is there


@pytest.mark.parametrize("draft", [False, True])
def test_a_members_history_is_the_official_one_unless_a_draft_is_shown(monkeypatch, city, draft):
    """Official view: only the published quarter (no official run for the others), from run 1;
    draft view: every quarter of run 2."""
    with connect_read(city["db"]) as con:
        member, score = con.execute(
            "SELECT member_no, score FROM member_scores_v WHERE run_id = 1 AND period = ? AND score IS NOT NULL "
            "ORDER BY member_no LIMIT 1",
            [city["published"]],
        ).fetchone()
        quarters = con.execute(
            "SELECT count(DISTINCT period) FROM member_scores_v"
            " WHERE run_id = 2 AND member_no = ? AND period LIKE '%Q%'",
            [member],
        ).fetchone()[0]
    params = {"period": city["draft"], "draft": "1"} if draft else {"period": city["published"]}
    at = app(monkeypatch, city["db"], "members", user="admin", member=str(member), **params)
    assert not at.exception and not at.error
    # The vanguard history (the 一人一档 tables below it have no 先锋分).
    history = next(d.value for d in at.dataframe if {"期间", "先锋分"} <= set(d.value.columns))
    if draft:
        assert len(history) == quarters > 1
    else:
        assert list(history["期间"]) == [city["published"]]
        assert history["先锋分"].iloc[0] == f"{score:.1f}"

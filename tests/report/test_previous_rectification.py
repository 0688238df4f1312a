"""The meeting pack's 上期整改情况 (last period's rectification items), over a copy of the demo
city whose second-to-last quarter P−1 is published (its rectification list became tracked
items) and whose last quarter P is on notice: the pack of P lists P−1's grid items with the
statuses set by hand through the register (待整改, 整改中, 已完成, 已销号; 逾期 once the deadline
has passed, at the clock the pack is built with), a count per status, on a sheet and a slide;
the pack of P−1 (P−2 was never published) says in one line that there are none. Built by
`python -m pipelines report` as the command line does."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys

import openpyxl
import pytest
from pptx import Presentation

from pipelines.engine.scores_db import connect_read
from pipelines.evaluation import rectification, review
from pipelines.report import deck, pack, workbook
from pipelines.serve import periods as serve_periods
from pipelines.serve import runs

T0 = dt.datetime(2026, 1, 5, 9, 0)
PUBLISHED = T0 + dt.timedelta(days=6)  # deadline: 30 days on
BEFORE = dt.datetime(2026, 1, 20, 10, 0)  # before the deadline
AFTER = dt.datetime(2026, 3, 1, 10, 0)  # after it
SHEET = "上期整改情况"


@pytest.fixture(scope="module")
def city(published_demo, demo_users, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("previous_rectification")
    shutil.copytree(published_demo.parent, folder / "warehouse")
    db = folder / "warehouse" / published_demo.name
    with connect_read(db) as con:
        quarters = [p for p in serve_periods.periods(con, runs.resolve(con)) if "Q" in p]
    before, last = quarters[-2:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(demo_users))
        patch.setenv("PBI_AUDIT", str(folder / "audit.duckdb"))
        review.submit(db, before, by="admin", at=T0)
        review.approve(db, before, by="approver", at=T0)
        review.publish(db, before, by="admin", at=PUBLISHED)
        review.submit(db, last, by="admin", at=T0)
        review.approve(db, last, by="approver", notice_start=dt.date(2026, 1, 10), at=T0)
        items = rectification.listing(db, period=before, at=BEFORE)
        grids = items[items["level"] == "grid"]["item_id"].tolist()
        assert len(grids) >= 4, "the demo city lists at least four grids"
        doing, done, confirmed = grids[:3]
        rectification.update(db, doing, by="admin", measures="召开专题会，补齐台账", status="整改中", at=BEFORE)
        rectification.update(db, done, by="admin", measures="服务队伍重组", status="已完成", at=BEFORE)
        rectification.update(db, confirmed, by="admin", measures="已全部整改", status="已完成", at=BEFORE)
        rectification.confirm(db, confirmed, by="admin", at=BEFORE)
    return {
        "db": db,
        "before": before,
        "last": last,
        "grids": grids,
        "status": {doing: "整改中", done: "已完成", confirmed: "已销号"},
        "users": demo_users,
    }


def _pack(city: dict, period: str, at: dt.datetime) -> pack.Pack:
    with connect_read(city["db"]) as con:
        return pack.build(con, period, "grid", scorecards=0, at=at)


def _expected(city: dict, late: bool) -> dict[int, str]:
    """Each grid item's status as set by hand: the unreported 待整改, or 逾期 after the deadline
    (整改中 too: it is not finished)."""
    waiting = "逾期" if late else "待整改"
    return {
        i: city["status"].get(i, waiting) if not (late and city["status"].get(i) == "整改中") else "逾期"
        for i in city["grids"]
    }


@pytest.mark.parametrize("late", [False, True])
def test_the_pack_lists_last_periods_items_with_their_status(city, monkeypatch, late):
    monkeypatch.setenv("PBI_USERS", str(city["users"]))
    p = _pack(city, city["last"], AFTER if late else BEFORE)
    assert p.previous == city["before"]
    got = dict(zip(p.followup["item_id"], p.followup["status"], strict=True))
    assert got == _expected(city, late)
    assert set(p.followup["level"]) == {"grid"} and set(p.followup["period"]) == {city["before"]}
    assert str(p.followup["deadline"].iloc[0])[:10] == "2026-02-10"  # published 2026-01-11, + 30 days

    counts = {s: list(got.values()).count(s) for s in rectification.STATUSES}
    line = f"共 {len(got)} 项：" + "、".join(f"{s} {n} 项" for s, n in counts.items())
    book = openpyxl.load_workbook(io.BytesIO(workbook.render(p)))
    sheet = book[SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert line in rows[0][0]
    assert list(rows[1][:8]) == ["序号", "单位", "单位编码", "入选原因", "责任组织", "整改期限", "整改措施", "状态"]
    table = {r[2]: r for r in rows[2:]}
    assert len(table) == len(got)
    units = dict(zip(p.followup["item_id"], p.followup["unit_id"], strict=True))
    for item, status in got.items():
        assert table[units[item]][7] == status
    doing = next(i for i, s in city["status"].items() if s == "整改中")
    assert table[units[doing]][6] == "召开专题会，补齐台账"
    assert book.sheetnames.index(SHEET) == book.sheetnames.index("整改清单") + 1

    slides = Presentation(io.BytesIO(deck.render(p))).slides
    text = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in slides]
    ours = [t for t in text if t.startswith(f"{SHEET}（{len(got)} 项）")]
    assert ours and all(line in t for t in ours)
    mine = [s for s, t in zip(slides, text, strict=True) if t.startswith(SHEET)]
    rows = [[c.text for c in row.cells] for s in mine for sh in s.shapes if sh.has_table for row in sh.table.rows]
    assert next(r for r in rows if r[0] == "单位") == ["单位", "入选原因", "整改期限", "整改措施", "状态"]
    shown = [r for r in rows if r[0] != "单位"]
    assert len(shown) == len(got)  # ten a slide, every item on some slide
    names = dict(zip(p.followup["item_id"], p.followup["unit_name"], strict=True))
    assert sorted((r[0], r[4]) for r in shown) == sorted((names[i], s) for i, s in got.items())


def test_a_pack_whose_previous_period_has_no_items_says_so_in_one_line(city, monkeypatch):
    monkeypatch.setenv("PBI_USERS", str(city["users"]))
    p = _pack(city, city["before"], BEFORE)  # P−2 was never published: no items
    assert p.followup.empty and p.previous is not None
    book = openpyxl.load_workbook(io.BytesIO(workbook.render(p)))
    rows = [r for r in book[SHEET].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert len(rows) == 1 and "没有网格整改事项" in rows[0][0]
    slides = Presentation(io.BytesIO(deck.render(p))).slides
    text = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in slides]
    ours = [t for t in text if t.startswith(f"{SHEET}（0 项）")]
    assert len(ours) == 1 and "没有网格整改事项" in ours[0]


def test_the_command_line_pack_has_the_sheet(city, tmp_path):
    out = tmp_path / "pack"
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "report", "--db", str(city["db"]), "--period", city["last"],
         "--level", "grid", "--scorecards", "0", "--out", str(out)],
        capture_output=True, text=True, env={**os.environ, "PBI_USERS": str(city["users"])},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"上期整改事项 {len(city['grids'])} 项" in done.stdout
    (xlsx,) = out.glob("*.xlsx")
    rows = list(openpyxl.load_workbook(xlsx)[SHEET].iter_rows(values_only=True))
    assert f"共 {len(city['grids'])} 项" in rows[0][0]

"""整改跟踪 (AppTest), over a copy of the demo city whose third-to-last quarter was published on
2026-01-11, which made its rectification items, due 2026-02-10: each street user sees the items of
its own street only; the street user reports progress, the administrator confirms (销号); with the
register's clock past the deadline the unfinished items are 逾期, and the overview lists them for
the user in scope."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from pipelines.access import users
from pipelines.engine.scores_db import connect_read
from pipelines.evaluation import rectification, register, review
from pipelines.serve import periods as serve_periods
from pipelines.serve import runs
from tests.signin import PASSWORDS, app, capture_downloads

T0 = dt.datetime(2026, 1, 5, 9, 0)
PUBLISHED = T0 + dt.timedelta(days=6)  # 2026-01-11: the items are due 30 days later, 2026-02-10
DALIAN, BAIYANG = "西湖区/大关街道", "西湖区/白杨街道"  # the demo users' street, and the other one


@pytest.fixture(scope="module")
def city(published_demo, demo_users, tmp_path_factory) -> dict:
    """The demo city copied with its third-to-last quarter published, and the demo users with a
    user of the other street (baiyang)."""
    folder = tmp_path_factory.mktemp("rectification_page")
    shutil.copytree(published_demo.parent, folder / "warehouse")
    db = folder / "warehouse" / published_demo.name
    people = folder / "users.json"
    shutil.copy(demo_users, people)
    users.add("baiyang", "街道", BAIYANG, PASSWORDS["street"], path=people)
    with connect_read(db) as con:
        period = [p for p in serve_periods.periods(con, runs.resolve(con)) if "Q" in p][-3]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PBI_USERS", str(people))
        patch.setenv("PBI_AUDIT", str(folder / "audit.duckdb"))
        review.submit(db, period, by="admin", at=T0)
        review.approve(db, period, by="approver", at=T0)
        review.publish(db, period, by="admin", at=PUBLISHED)
    items = rectification.listing(db, at=PUBLISHED)
    ids = {
        street: set(items.loc[items["unit_path"].str.startswith(street + "/"), "item_id"].astype(int))
        for street in (DALIAN, BAIYANG)
    }
    return {"db": db, "users": people, "period": period, "ids": ids}


@pytest.fixture
def clock(monkeypatch, city):
    """The register's clock (register.now), set by the test; the users file with baiyang."""
    monkeypatch.setenv("PBI_USERS", str(city["users"]))

    class Clock:
        def set(self, at: dt.datetime) -> None:
            monkeypatch.setattr(register, "now", lambda: at)

    c = Clock()
    c.set(dt.datetime(2026, 1, 20, 10, 0))
    return c


def _items(at) -> dict[int, dict]:
    """The items table of the page, by item number."""
    table = at.dataframe[0].value
    return {int(r["编号"]): r for r in table.to_dict("records")}


def test_each_street_user_sees_the_items_of_its_street_only(monkeypatch, city, clock):
    assert city["ids"][DALIAN] and city["ids"][BAIYANG]  # the demo city lists units in both streets
    for user, street in (("street", DALIAN), ("baiyang", BAIYANG)):
        at = app(monkeypatch, city["db"], "rectification", user=user)
        assert not at.exception and not at.error
        shown = _items(at)
        assert set(shown) == city["ids"][street]
        assert {r["状态"] for r in shown.values()} == {"待整改"}
        assert {r["整改期限"] for r in shown.values()} == {"2026年2月10日"}
        assert {r["期间"] for r in shown.values()} == {city["period"]}
    at.selectbox(key="rect_status").set_value("逾期").run()
    assert "没有符合条件的整改事项。" in [c.value for c in at.caption]


def test_the_street_user_reports_progress_and_the_administrator_confirms(monkeypatch, city, clock):
    db, item = city["db"], min(city["ids"][DALIAN])
    at = app(monkeypatch, db, "rectification", user="street")
    assert not [b for b in at.button if b.key == "rect_confirm"]  # 销号 is the administrator's
    at.selectbox(key="rect_pick").set_value(item)
    at.button(key="rect_submit").click().run()  # nothing reported: the register's refusal
    assert [e.value for e in at.error] == ["请填写整改措施、状态或证据 (give measures, a status or evidence)"]

    at.selectbox(key="rect_pick").set_value(item)
    at.text_area(key="rect_measures").input("补开组织生活会，逐户走访")
    at.radio(key="rect_new_status").set_value("整改中").run()
    at.button(key="rect_submit").click().run()
    assert not at.error and at.success[0].value == f"第 {item} 项已更新，当前状态：整改中。"
    row = _items(at)[item]
    assert (row["状态"], row["整改措施"]) == ("整改中", "补开组织生活会，逐户走访")
    assert rectification.listing(db, at=register.now()).set_index("item_id").loc[item, "reported"] == "整改中"

    # Reported done, with evidence (through the register: AppTest cannot upload a file).
    rectification.update(db, item, by="street", status="已完成", evidence_bytes=b"%PDF-1", evidence_name="走访记录.pdf")
    downloads = capture_downloads(monkeypatch)
    at = app(monkeypatch, db, "rectification", user="street")
    assert _items(at)[item]["状态"] == "已完成" and _items(at)[item]["佐证材料"] == "走访记录.pdf"
    assert downloads == {"走访记录.pdf": b"%PDF-1"}

    admin = app(monkeypatch, db, "rectification", user="admin")
    assert admin.selectbox(key="rect_confirm_pick").value == item  # the only item reported done
    admin.button(key="rect_confirm").click().run()
    assert not admin.error and admin.success[0].value == f"第 {item} 项已销号。"
    row = _items(admin)[item]
    assert row["状态"] == "已销号" and row["销号人 · 时间"].startswith("admin · ")

    at = app(monkeypatch, db, "rectification", user="street")
    assert _items(at)[item]["状态"] == "已销号"
    assert not any(o.startswith(f"#{item} ") for o in at.selectbox(key="rect_pick").options)


def test_past_the_deadline_items_are_overdue_and_on_the_overview(monkeypatch, city, clock):
    db = city["db"]
    clock.set(dt.datetime(2026, 2, 10, 18, 0))  # the deadline day itself is in time
    at = app(monkeypatch, db, user="street")
    assert not at.exception and not any("逾期整改事项" in w.value for w in at.warning)

    clock.set(dt.datetime(2026, 2, 12, 9, 0))
    late = rectification.listing(db, status="逾期", at=register.now())
    mine = set(late["item_id"].astype(int)) & city["ids"][DALIAN]
    assert mine and mine < city["ids"][DALIAN]  # the item confirmed above is not overdue

    at = app(monkeypatch, db, "rectification", user="street")
    shown = _items(at)
    assert {i for i, r in shown.items() if r["状态"] == "逾期"} == mine

    at = app(monkeypatch, db, user="street")  # the overview
    assert not at.exception
    assert [w.value for w in at.warning if "逾期整改事项" in w.value] == [f"逾期整改事项 {len(mine)} 项"]
    table = at.dataframe[-1].value
    assert list(table.columns) == ["单位", "期间", "整改期限", "逾期天数"]
    assert set(table["逾期天数"]) == {2} and set(table["整改期限"]) == {"2026年2月10日"}
    assert len(table) == min(len(mine), 5)
    names = set(late.set_index("item_id").loc[sorted(mine), "unit_name"])
    assert set(table["单位"]) <= names

    # The other street's user sees its own overdue items, not these.
    other = app(monkeypatch, db, user="baiyang")
    theirs = set(late["item_id"].astype(int)) & city["ids"][BAIYANG]
    assert [w.value for w in other.warning if "逾期整改事项" in w.value] == [f"逾期整改事项 {len(theirs)} 项"]
    assert set(other.dataframe[-1].value["单位"]) <= set(late.set_index("item_id").loc[sorted(theirs), "unit_name"])

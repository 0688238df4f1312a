"""The 双报到 page (AppTest) over hand-made reporting organisations (tests/dashboard/points_data.py):
ranked by 人均 with the unranked listed after and said so, the quarterly trend from each quarter's
row, a district viewer seeing only the organisations of its district or reaching into it, and an
organisation's members with names masked for a viewer without `pii`."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from pipelines.access.masking import mask_name
from pipelines.engine.scores_db import connect_read, scores_path
from tests.dashboard.points_data import CITY_ORDER, HOME_ORDER, ORGS, add_points
from tests.signin import app


@pytest.fixture(scope="module")
def city(two_districts, tmp_path_factory) -> dict:
    return add_points(two_districts, tmp_path_factory.mktemp("shuangbaodao"))


def _names(info: dict, org: str) -> dict[int, str]:
    """The latest roster name of each member the hand data reported to `org`."""
    numbers = [m for m, _g, _n in info["members"][org]]
    with connect_read(info["db"]) as con:
        rows = con.execute(
            "SELECT member_no, arg_max(name, as_of) FROM members WHERE member_no IN (SELECT unnest(?)) GROUP BY 1",
            [numbers],
        ).fetchall()
    return {int(n): name for n, name in rows}


def _ranking(at) -> pd.DataFrame:
    return at.dataframe(key="sbd_table").value


def test_organisations_ranked_by_points_per_member_unranked_listed_last(monkeypatch, city):
    at = app(monkeypatch, city["db"], "shuangbaodao", user="city")
    assert not at.exception
    table = _ranking(at)
    assert list(table["报到单位"]) == [ORGS[o][0] for o in CITY_ORDER]
    assert list(table["人均正能量值"]) == [40.0, 30.0, 20.0, 50.0]  # RC's 50 is not ranked: fewer than 3 members
    assert list(table["全市排名"]) == ["1", "2", "3", "未排名（报到党员不足 3 人）"]
    assert list(table["区县排名"]) == ["1", "1", "2", "—"]
    assert list(table["报到党员"]) == [3, 4, 3, 2]
    # The trend: 2025Q3 (half of 2025Q4 in the hand data), then 2025Q4.
    assert list(table["人均趋势（各季度）"].iloc[1]) == [15.0, 30.0]


def test_a_district_sees_its_organisations_and_those_reaching_into_it(monkeypatch, city):
    at = app(monkeypatch, city["db"], "shuangbaodao", user="district")
    assert not at.exception
    assert list(_ranking(at)["报到单位"]) == [ORGS[o][0] for o in HOME_ORDER]  # 丁 reports only elsewhere
    # 乙 (of the other district) lists only its member living here; the other two are said to exist.
    at.query_params["org"] = "RB"
    at.run()
    members = at.dataframe[1].value  # the members, under the ranking
    inside = city["members"]["RB"][0][0]
    assert list(members["党员序号"]) == [inside]
    assert any("另有 2 名报到党员" in c.value for c in at.caption)


def test_a_crafted_org_outside_the_scope_shows_nothing_of_it(monkeypatch, city):
    at = app(monkeypatch, city["db"], "shuangbaodao", user="district", org="RD")
    assert not at.exception
    assert at.selectbox(key="sbd_org").value != "RD"
    assert "RD" not in at.selectbox(key="sbd_org").options


@pytest.mark.parametrize(("user", "clear"), [("city", False), ("admin", True)])
def test_members_names_masked_without_pii(monkeypatch, city, user, clear):
    at = app(monkeypatch, city["db"], "shuangbaodao", user=user, org="RA")
    assert not at.exception
    assert at.selectbox(key="sbd_org").value == "RA"
    members = at.dataframe[1].value  # the members, under the ranking
    names = _names(city, "RA")
    assert set(members["党员序号"]) == set(names)
    expected = {n: (name if clear else mask_name(name)) for n, name in names.items()}
    assert dict(zip(members["党员序号"], members["党员"], strict=True)) == expected
    assert list(members["本期正能量值"]) == sorted(members["本期正能量值"], reverse=True)


def test_a_run_without_points_says_so(monkeypatch, city, tmp_path):
    """Results computed before v1.2 (no org_points, no member_points): one line, no table."""
    shutil.copytree(city["db"].parent, tmp_path, dirs_exist_ok=True)
    with duckdb.connect(str(scores_path(tmp_path / city["db"].name))) as con:
        con.execute("DROP TABLE org_points")
        con.execute("DROP TABLE member_points")
    at = app(monkeypatch, tmp_path / city["db"].name, "shuangbaodao", user="city")
    assert not at.exception
    assert any("早于正能量值规则" in i.value for i in at.info)
    assert not at.dataframe

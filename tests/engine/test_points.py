"""正能量值 points (methodology v1.2) by hand: members' quarters (each source, the cap), years
(the sum of the capped quarters, year to date), tiers; reporting organisations' points, 人均,
the 3-member rule, ties, districts by most members (ties: the first by name); the marts of a run.

The city: G1, G2 in 西湖区, G3 in 上城区, G4 in 滨江区; data 2025Q1–Q3 (the year is running).
Reporting organisations R1–R6 (报到单位党组织), B1 a branch. Roster of 01-01 (Q1, Q2), of 07-01
(Q3: m4 moves from R2 to R5). Default rule table: service 2, hour 1, claim resolved 5, a
rating of 5 → 1; cap 60; organisation +10 per claimed demand resolved; ranked from 3 members.
- m1 (R1, G1): Q1 3 services, 7.5 h, ratings 5, 5, 4, 1 claim resolved → 6 + 7.5 + 5 + 2 = 20.5;
  Q2: a claim reported in Q1, resolved 04-02 → 5. Year 25.5 (待激励).
- m2 (R1, G3): Q1 20 services × 2 h rated 5 → 100, capped 60; Q2 10 × 1 h → 30. Year 90 (合格),
  raw 130; year to date 60, 90, 90.
- m3 (R1, G3): 20 × 2 h rated 5 in each quarter → 60, 60, 60; year to date 60 (合格), 120 (优秀),
  180 (先锋).
- m4 (R2 then R5, G1): Q1 2 × 1 h → 6; Q3 1 × 1 h → 3. m5 (R2, G2): nothing.
- m6 (G1), m7 (G3), m8 (G2): R3; m9 (G1), m10 (G3), m11 (G4): R4; each 1 × 1 h in Q1 → 3.
- m12–m14 (R5, G1): nothing. m15 (G2): no reporting organisation, 1 × 1 h in Q1.
- Demands claimed by organisations: R2 resolved Q1 (+10), R2 never resolved, R6 resolved Q2
  (R6 has no members), B1 resolved Q1 (a branch: no 正能量值 ranking).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.engine import points
from pipelines.engine.indicators import compute_raw
from pipelines.engine.methodology import MethodologyError, load, parse

SETUP = """
CREATE TABLE grids AS SELECT * FROM (VALUES
    ('G1', '一号网格', '翠苑一区社区', '翠苑街道', '西湖区', 100, '老旧小区'),
    ('G2', '二号网格', '翠苑一区社区', '翠苑街道', '西湖区', 50, '商品房小区'),
    ('G3', '三号网格', '湖滨社区', '湖滨街道', '上城区', 80, '商品房小区'),
    ('G4', '四号网格', '江南社区', '西兴街道', '滨江区', 60, '商品房小区'))
    t(grid_id, grid_name, community, street, district, households, grid_type);
CREATE TABLE orgs AS SELECT * FROM (VALUES
    ('B1', '一号网格党支部', '网格党支部', 'G1'),
    ('R1', '市直机关一', '报到单位党组织', NULL), ('R2', '国企二', '报到单位党组织', NULL),
    ('R3', '学校三', '报到单位党组织', NULL), ('R4', '医院四', '报到单位党组织', NULL),
    ('R5', '银行五', '报到单位党组织', NULL), ('R6', '企业六', '报到单位党组织', NULL))
    t(org_id, org_name, org_type, grid_id);
CREATE TABLE member_registry AS SELECT i AS member_no, 'm' || i AS member_key FROM range(1, 16) t(i);
CREATE TABLE grid_registry AS SELECT * FROM (VALUES (1, 'G1'), (2, 'G2'), (3, 'G3'), (4, 'G4')) t(grid_no, grid_id);
CREATE TABLE members AS
WITH roster(member_key, grid_id, org) AS (VALUES
    ('m1', 'G1', 'R1'), ('m2', 'G3', 'R1'), ('m3', 'G3', 'R1'), ('m4', 'G1', 'R2'), ('m5', 'G2', 'R2'),
    ('m6', 'G1', 'R3'), ('m7', 'G3', 'R3'), ('m8', 'G2', 'R3'), ('m9', 'G1', 'R4'), ('m10', 'G3', 'R4'),
    ('m11', 'G4', 'R4'), ('m12', 'G1', 'R5'), ('m13', 'G1', 'R5'), ('m14', 'G1', 'R5'), ('m15', 'G2', NULL))
SELECT CAST(s.as_of AS DATE) AS as_of, member_key, member_no, grid_id, grid_no,
    CASE WHEN org IS NULL THEN '社区党员' ELSE '在职报到党员' END AS member_type, '正常' AS status,
    CASE WHEN s.as_of = '2025-07-01' AND member_key = 'm4' THEN 'R5' ELSE org END AS reporting_org_id
FROM roster JOIN member_registry USING (member_key) JOIN grid_registry USING (grid_id)
    CROSS JOIN (VALUES ('2025-01-01'), ('2025-07-01')) s(as_of);
CREATE TABLE services AS
WITH s(member_key, grid_id, d, hours, rating) AS (
    VALUES ('m1', 'G1', DATE '2025-01-05', 2.0, 5), ('m1', 'G1', DATE '2025-02-05', 1.5, 5),
        ('m1', 'G1', DATE '2025-03-05', 4.0, 4),
        ('m4', 'G1', DATE '2025-01-06', 1.0, NULL), ('m4', 'G1', DATE '2025-02-06', 1.0, NULL),
        ('m4', 'G1', DATE '2025-07-06', 1.0, NULL),
        ('m6', 'G1', DATE '2025-03-01', 1.0, NULL), ('m7', 'G3', DATE '2025-03-01', 1.0, NULL),
        ('m8', 'G2', DATE '2025-03-01', 1.0, NULL), ('m9', 'G1', DATE '2025-03-01', 1.0, NULL),
        ('m10', 'G3', DATE '2025-03-01', 1.0, NULL), ('m11', 'G4', DATE '2025-03-01', 1.0, NULL),
        ('m15', 'G2', DATE '2025-03-01', 1.0, NULL)
    UNION ALL SELECT 'm2', 'G3', DATE '2025-01-01' + i::INTEGER, 2.0, 5 FROM range(20) t(i)
    UNION ALL SELECT 'm2', 'G3', DATE '2025-04-01' + i::INTEGER, 1.0, NULL FROM range(10) t(i)
    UNION ALL SELECT 'm3', 'G3', q + i::INTEGER, 2.0, 5 FROM range(20) t(i),
        (VALUES (DATE '2025-01-01'), (DATE '2025-04-01'), (DATE '2025-07-01')) d(q))
SELECT member_key, member_no, grid_id, CAST(d AS DATE) AS service_date, hours, rating
FROM s JOIN member_registry USING (member_key);
CREATE TABLE demands AS SELECT grid_id, CAST(r AS TIMESTAMP) AS reported_at, claimed_by_key,
    (SELECT member_no FROM member_registry WHERE member_key = claimed_by_key) AS claimed_by_no,
    CAST(s AS TIMESTAMP) AS resolved_at, '网格' AS resolved_level, NULL::INTEGER AS satisfaction,
    claimed_by_org
FROM (VALUES
    ('G1', '2025-02-01 09:00', 'm1', '2025-02-02 09:00', NULL),
    ('G1', '2025-03-30 09:00', 'm1', '2025-04-02 09:00', NULL),
    ('G2', '2025-01-10 09:00', NULL, '2025-01-11 09:00', 'R2'),
    ('G2', '2025-03-01 09:00', NULL, NULL, 'R2'),
    ('G3', '2025-05-01 09:00', NULL, '2025-05-03 09:00', 'R6'),
    ('G1', '2025-02-10 09:00', NULL, '2025-02-11 09:00', 'B1'))
    t(grid_id, r, claimed_by_key, s, claimed_by_org);
CREATE TABLE meetings (org_id VARCHAR, meeting_type VARCHAR, meeting_date DATE, expected INTEGER, attended INTEGER);
"""
COLUMNS = "pkey, member_key, services, hours, claims, ratings_5, points_raw, points, points_ytd, tier, reporting_org_id"


def _city(text: str | None = None) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = duckdb.connect()
    con.execute(SETUP)
    m = load() if text is None else parse(text)
    found = compute_raw(con, m, 1)
    points.org_points(con, m, found["org_claims"])
    return con, m


@pytest.fixture(scope="module")
def city():
    return _city()[0]


def _member(con, key: str) -> dict[int, tuple]:
    rows = con.execute(
        f"SELECT {COLUMNS} FROM int_member_points JOIN member_registry USING (member_no) WHERE member_key = ?", [key]
    ).fetchall()
    return {r[0]: r[2:] for r in rows}


def test_each_source_of_a_member_s_points(city):
    m1 = _member(city, "m1")
    # services, hours, claims, ratings_5, raw, points, ytd, tier, organisation
    assert m1[20251] == (3, 7.5, 1, 2, 20.5, 20.5, 20.5, "待激励", "R1")
    assert m1[20252] == (0, 0.0, 1, 0, 5.0, 5.0, 25.5, "待激励", "R1")  # claimed in Q1, resolved in Q2
    assert m1[20253] == (0, 0.0, 0, 0, 0.0, 0.0, 25.5, "待激励", "R1")
    assert m1[20250] == (3, 7.5, 2, 2, 25.5, 25.5, 25.5, "待激励", "R1")


def test_the_quarterly_cap_and_the_year_as_the_sum_of_capped_quarters(city):
    m2 = _member(city, "m2")
    assert m2[20251][4:7] == (100.0, 60.0, 60.0) and m2[20252][4:7] == (30.0, 30.0, 90.0)
    assert m2[20250] == (30, 50.0, 0, 20, 130.0, 90.0, 90.0, "合格", "R1")  # raw 130, capped quarters 90
    m3 = _member(city, "m3")
    assert [(m3[q][5], m3[q][6], m3[q][7]) for q in (20251, 20252, 20253)] == [
        (60.0, 60.0, "合格"),
        (60.0, 120.0, "优秀"),
        (60.0, 180.0, "先锋"),
    ]
    assert m3[20250][4:8] == (300.0, 180.0, 180.0, "先锋")


def test_every_counted_member_has_a_row_and_a_year_keeps_the_latest_link(city):
    rows = city.execute("SELECT pkey, count(*) FROM int_member_points GROUP BY pkey ORDER BY pkey").fetchall()
    assert rows == [(20250, 15), (20251, 15), (20252, 15), (20253, 15)]
    m4 = _member(city, "m4")
    assert [m4[q][-1] for q in (20251, 20252, 20253, 20250)] == ["R2", "R2", "R5", "R5"]
    assert m4[20250][5] == 9.0 and _member(city, "m15")[20251][-1] is None


def _orgs(con, period: str) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT org_id, district, members, claimed_demands, points, points_per_member, ranked, city_rank, "
        "district_rank FROM int_org_points WHERE period = ?",
        [period],
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_organisations_points_per_member_ranks_and_districts(city):
    q1 = _orgs(city, "2025Q1")
    assert set(q1) == {"R1", "R2", "R3", "R4", "R5"}  # R6 has nothing in Q1; B1 is no reporting organisation
    assert q1["R1"][:5] == ("上城区", 3, 0, 140.5, pytest.approx(140.5 / 3))  # 2 of its members in 上城区
    assert q1["R1"][5:] == (True, 1, 1)
    # R2: 2 members (6 + 0 points) and one claimed demand resolved: listed, not ranked (人均 8 > R3's 3).
    assert q1["R2"] == ("西湖区", 2, 1, 16.0, 8.0, False, None, None)
    # R3 and R4 tie on 人均 3: rank 2 both, R5 (人均 0) 4th; R4's members are one per district: the first by name.
    assert q1["R3"] == ("西湖区", 3, 0, 9.0, 3.0, True, 2, 1)
    assert q1["R4"] == ("上城区", 3, 0, 9.0, 3.0, True, 2, 2)
    assert q1["R5"] == ("西湖区", 3, 0, 0.0, 0.0, True, 4, 2)
    q2 = _orgs(city, "2025Q2")
    assert q2["R6"] == (None, 0, 1, 10.0, None, False, None, None)  # a claim without members: listed


def test_an_organisation_s_year_sums_its_quarters(city):
    year = _orgs(city, "2025")
    assert year["R1"][:5] == ("上城区", 3, 0, 295.5, 98.5)  # 25.5 + 90 + 180
    assert year["R2"][:5] == ("西湖区", 2, 1, 16.0, 8.0)  # m4's Q1 and Q2 here, and the claim
    assert year["R5"][:5] == ("西湖区", 4, 0, 3.0, 0.75)  # m4 joined in Q3 with 3 points
    assert {o: r[6] for o, r in year.items() if r[5]} == {"R1": 1, "R3": 2, "R4": 2, "R5": 4}
    names = dict(city.execute("SELECT org_id, org_name FROM int_org_points WHERE period = '2025'").fetchall())
    assert names["R1"] == "市直机关一"


def test_every_number_is_a_parameter():
    text = (
        load().text.replace("quarter_cap = 60", "quarter_cap = 50").replace("per_org_claim = 10", "per_org_claim = 4")
    )
    text = text.replace('"优秀" = 100', '"优秀" = 20').replace('"合格" = 40', '"合格" = 10')
    text = text.replace("per_service = 2", "per_service = 3")
    text = text.replace("min_members = 3", "min_members = 2").replace("top_rating = 5", "top_rating = 4")
    con, _m = _city(text)
    m1 = _member(con, "m1")
    assert m1[20251][3:7] == (1, 3 * 3 + 7.5 + 5 + 1, 22.5, 22.5)  # one rating of 4
    assert m1[20251][7] == "优秀"
    assert _member(con, "m2")[20251][5] == 50.0
    r2 = _orgs(con, "2025Q1")["R2"]
    assert r2[3] == 3 * 2 + 2 + 0 + 4 and r2[5] is True  # 2 members now rank


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("quarter_cap = 60", "quarter_cap = 0", "points: quarter_cap must be a number > 0, got 0"),
        ("per_hour = 1", 'per_hour = "一"', "points: per_hour must be a number ≥ 0, got '一'"),
        ("min_members = 3", "min_members = 2.5", "points: min_members must be a whole number ≥ 1, got 2.5"),
        ("per_claim = 5", "per_claims = 5", "points: unknown key 'per_claims'"),
        ('"优秀" = 100', '"优秀" = 200', "points.tiers: minimums must fall from the first to the last"),
        ('"合格" = 40', '"合格" = "四十"', "points.tiers 合格: the minimum must be a number, got '四十'"),
    ],
)
def test_a_bad_points_value_is_refused_with_its_line(old, new, message):
    text = load().text
    assert text.count(old) == 1
    bad = text.replace(old, new)
    key = new.split("=")[0].strip()
    line = next(n for n, t in enumerate(bad.splitlines(), 1) if t.startswith(key))
    if "minimums must fall" in message:
        line = next(n for n, t in enumerate(bad.splitlines(), 1) if t.startswith("[points.tiers]"))
    with pytest.raises(MethodologyError) as e:
        parse(bad)
    assert str(e.value).startswith(f"methodology.toml:{line}: {message}")


def test_a_file_without_points_gets_the_v1_2_table():
    text = load().text
    m = parse(text[: text.index("[points]")])
    assert m.points == load().points and m.points.quarter_cap == 60 and m.points.tiers[0].min == 150


def write_city(path) -> object:
    """The city of this module as a warehouse file (for compute and the exports)."""
    with duckdb.connect(str(path)) as con:
        con.execute(SETUP)
    return path


def test_a_run_stores_members_and_organisations_points(tmp_path):
    import datetime as dt

    from pipelines.engine.compute import compute
    from pipelines.engine.scores_db import connect_read

    db = write_city(tmp_path / "pbi.duckdb")
    first = compute(db, load(), adjustments=[], as_of=dt.date(2025, 12, 15))
    text = load().text.replace("quarter_cap = 60", "quarter_cap = 30")
    second = compute(db, parse(text), adjustments=[], as_of=dt.date(2025, 12, 15))
    city, _m = _city()
    with connect_read(db) as con:
        stored = con.execute(
            "SELECT run_id, count(*), sum(points) FILTER (WHERE pkey = 20250) FROM member_points GROUP BY run_id "
            "ORDER BY run_id"
        ).fetchall()
        orgs = con.execute(
            "SELECT * EXCLUDE (run_id) FROM org_points WHERE run_id = ? ORDER BY period, org_id", [first]
        ).df()
        m2 = con.execute(
            "SELECT points FROM member_points WHERE run_id = ? AND member_no = 2 AND pkey = 20251", [second]
        ).fetchall()
    year = city.execute("SELECT sum(points) FROM int_member_points WHERE pkey = 20250").fetchall()[0][0]
    assert stored[0] == (first, 60, pytest.approx(year)) and stored[1][:2] == (second, 60)
    assert m2 == [(30.0,)]  # each run its own rule table
    expected = city.execute("SELECT * FROM int_org_points ORDER BY period, org_id").df()
    assert orgs.columns.tolist() == expected.columns.tolist()
    pd.testing.assert_frame_equal(orgs, expected, check_dtype=False)

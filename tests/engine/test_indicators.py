"""Every unit indicator and the member score, computed by hand on a tiny dataset built here.

Two grids in one community. G1: 100 households, branch B1 and building group X1; members m1,
m2 (正常) and m4 (停止: never counted). G2: 50 households, branch B2; member m3, and m5 from
the June snapshot on. Quarter 2025Q1 unless said.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.engine.indicators import compute_raw
from pipelines.engine.methodology import load

COMMUNITY = "西湖区/翠苑街道/翠苑一区社区"

SETUP = """
CREATE TABLE grids AS SELECT * FROM (VALUES
    ('G1', '一号网格', '翠苑一区社区', '翠苑街道', '西湖区', 100, '老旧小区'),
    ('G2', '二号网格', '翠苑一区社区', '翠苑街道', '西湖区', 50, '商品房小区'))
    t(grid_id, grid_name, community, street, district, households, grid_type);
CREATE TABLE orgs AS SELECT * FROM (VALUES
    ('DW1', '社区党委', NULL), ('B1', '网格党支部', 'G1'), ('X1', '楼栋党小组', 'G1'), ('B2', '网格党支部', 'G2'))
    t(org_id, org_type, grid_id);
CREATE TABLE member_registry AS SELECT * FROM (VALUES (1, 'm1'), (2, 'm2'), (3, 'm3'), (4, 'm4'), (5, 'm5'))
    t(member_no, member_key);
CREATE TABLE grid_registry AS SELECT * FROM (VALUES (1, 'G1'), (2, 'G2')) t(grid_no, grid_id);
CREATE TABLE members AS SELECT CAST(as_of AS DATE) AS as_of, member_key, member_no, grid_id, grid_no, member_type,
    status
FROM member_registry JOIN (VALUES
    ('2025-03-31', 'm1', 'G1', '离退休党员', '正常'), ('2025-03-31', 'm2', 'G1', '在职报到党员', '正常'),
    ('2025-03-31', 'm3', 'G2', '社区党员', '正常'), ('2025-03-31', 'm4', 'G1', '社区党员', '停止'),
    ('2025-06-30', 'm1', 'G1', '离退休党员', '正常'), ('2025-06-30', 'm2', 'G1', '在职报到党员', '正常'),
    ('2025-06-30', 'm3', 'G2', '社区党员', '正常'), ('2025-06-30', 'm4', 'G1', '社区党员', '停止'),
    ('2025-06-30', 'm5', 'G2', '社区党员', '正常'))
    t(as_of, member_key, grid_id, member_type, status) USING (member_key) JOIN grid_registry USING (grid_id);
CREATE TABLE services AS SELECT member_key, member_no, grid_id, CAST(d AS DATE) AS service_date, hours, rating
FROM member_registry JOIN (VALUES
    ('m1', 'G1', '2025-01-05', 3.0, 5), ('m1', 'G1', '2025-02-05', 2.0, 4), ('m1', 'G1', '2025-03-05', 2.5, NULL),
    ('m1', 'G1', '2025-03-20', 2.5, NULL),
    ('m3', 'G1', '2025-03-31', 2.0, NULL),    -- m3 serves in G1: counts for G1's services, m3's activity
    ('m1', 'G1', '2025-04-01', 1.0, NULL),    -- Q2
    ('m4', 'G1', '2025-02-10', 3.0, 5))       -- m4 is not 正常: not a member of any unit; G1 still had the service
    t(member_key, grid_id, d, hours, rating) USING (member_key);
CREATE TABLE demands AS SELECT grid_id, CAST(r AS TIMESTAMP) AS reported_at, claimed_by_key,
    (SELECT member_no FROM member_registry WHERE member_key = claimed_by_key) AS claimed_by_no,
    CAST(s AS TIMESTAMP) AS resolved_at, resolved_level, satisfaction FROM (VALUES
    ('G1', '2025-01-10 08:00', 'm1', '2025-01-13 08:00', '网格', 5),   -- exactly 72 hours: on time
    ('G1', '2025-02-01 09:00', NULL, '2025-02-05 10:00', '社区', 3),   -- 97 hours
    ('G2', '2025-03-31 23:00', NULL, NULL, NULL, NULL),                 -- Q1, unresolved
    ('G2', '2025-04-01 00:30', NULL, NULL, NULL, NULL))                 -- Q2
    t(grid_id, r, claimed_by_key, s, resolved_level, satisfaction);
CREATE TABLE meetings AS SELECT org_id, meeting_type, CAST(d AS DATE) AS meeting_date, expected, attended FROM (VALUES
    ('B1', '支部党员大会', '2025-01-15', 10, 8),
    ('B1', '支部委员会', '2025-01-20', 5, 5), ('B1', '支部委员会', '2025-02-20', 5, 5),
    ('B1', '主题党日', '2025-01-25', 10, 7), ('B1', '主题党日', '2025-02-25', 10, 7),
    ('B1', '主题党日', '2025-03-25', 10, 7), ('B1', '主题党日', '2025-03-28', 10, 7),   -- 4 held, 3 required
    ('X1', '党小组会', '2025-02-10', 5, 5),
    ('B2', '支部党员大会', '2025-01-15', 4, 4), ('B2', '支部委员会', '2025-01-16', 4, 4),
    ('B2', '支部委员会', '2025-02-16', 4, 4), ('B2', '支部委员会', '2025-03-16', 4, 4),
    ('B2', '党课', '2025-02-01', 4, 4), ('B2', '主题党日', '2025-01-05', 4, 4),
    ('B2', '主题党日', '2025-02-05', 4, 4), ('B2', '主题党日', '2025-03-31', 4, 4),
    ('B2', '党课', '2025-04-01', 4, 4))                                                  -- Q2
    t(org_id, meeting_type, d, expected, attended);
"""


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute(SETUP)
    compute_raw(c, load(), 1)
    return c


def _v(con, unit: str, code: str, period: str = "2025Q1"):
    rows = con.execute(
        "SELECT value FROM int_indicator_values WHERE unit_id = ? AND code = ? AND period = ?", [unit, code, period]
    ).fetchall()
    return rows[0][0] if rows else None


M1 = 100 * (0.35 * 4 / 6 + 0.20 * 10 / 12 + 0.25 * 1 / 2 + 0.20 * ((9 + 20) / 7 - 3) / 2)
M3 = 100 * (0.35 * 1 / 6 + 0.20 * 2 / 12 + 0 + 0.20 * (4.0 - 3) / 2)  # no rating: R = prior 4.0


def test_member_scores(con):
    scores = dict(
        con.execute(
            "SELECT member_key, score FROM int_member_scores JOIN member_registry USING (member_no) "
            "WHERE period = '2025Q1'"
        ).fetchall()
    )
    assert set(scores) == {"m1", "m2", "m3"}  # m4 (停止) is not counted
    assert scores["m1"] == pytest.approx(63.9285714286, abs=1e-9) == pytest.approx(M1)  # the worked example
    assert scores["m2"] == 0
    assert scores["m3"] == pytest.approx(M3)


@pytest.mark.parametrize(
    "code,g1,g2,community",
    [
        ("F1", 6 / 8, 8 / 8, (6 / 8 + 1) / 2),  # mean over branches; 主题党日 capped at 3
        ("F2", 51 / 65, 32 / 32, 83 / 97),  # branch and group meetings, ratio of sums
        ("F3", 1 / 2, 1 / 1, 2 / 3),  # m3 served (in G1): active for G2
        ("F4", 1 / 2, None, 1 / 2),  # G2 has no resolved demand: missing
        ("F5", 100 * 2 / 100, 100 * 1 / 50, 100 * 3 / 150),
        ("V5", (M1 + 0) / 2, M3, (M1 + 0 + M3) / 3),
        ("V6", 1 / 2, 0.0, 1 / 3),
        ("S1", 100 * 6 / 100, 0.0, 100 * 6 / 150),  # services given in the grid, by anyone
        ("S2", 2 / 2, 0 / 1, 2 / 3),
        ("S3", 1 / 2, None, 1 / 2),  # 72 hours exactly counts as on time
        ("S4", (5 + 3 + 5 + 4 + 5 + 10 * 4.0) / (5 + 10), 4.0, (5 + 3 + 5 + 4 + 5 + 10 * 4.0) / (5 + 10)),
    ],
)
def test_unit_indicators_by_hand(con, code, g1, g2, community):
    for unit, expected in (("G1", g1), ("G2", g2), (COMMUNITY, community)):
        got = _v(con, unit, code)
        if expected is None:
            assert got is None, (unit, code)
        else:
            assert got == pytest.approx(expected, abs=1e-12), (unit, code)


def test_higher_levels_pool_records(con):
    for level_unit in ("西湖区/翠苑街道", "西湖区", "全市"):
        for code in ("F2", "F3", "S1", "S4", "V5"):
            assert _v(con, level_unit, code) == pytest.approx(_v(con, COMMUNITY, code))


def test_quarter_boundaries_and_rosters(con):
    assert [p for (p,) in con.execute("SELECT period FROM int_periods ORDER BY 1").fetchall()] == ["2025Q1", "2025Q2"]
    assert _v(con, "G1", "S1", "2025Q2") == pytest.approx(1.0)  # the 04-01 service
    assert _v(con, "G2", "S2", "2025Q2") == pytest.approx(0.0)  # the 04-01 00:30 demand
    assert _v(con, "G2", "F5", "2025Q2") == pytest.approx(100 * 2 / 50)  # June roster: m3 and m5
    assert _v(con, "G2", "F1", "2025Q2") == pytest.approx(1 / 8)  # only the 04-01 党课

"""A tiny warehouse of our own (three grids in two districts, records in 2024Q4–2025Q3) and the
users of the adjustment tests: the register needs no generated city."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.access import users

GRIDS = [  # grid_id, grid_name, community, street, district
    ("330100000001", "甲网格", "一社区", "一街道", "东区"),
    ("330100000002", "乙网格", "二社区", "一街道", "东区"),
    ("330200000003", "丙网格", "三社区", "三街道", "西区"),
]
# The data covers 2024Q4 (first service) to 2025Q3 (last meeting).
QUARTERS = ("2024Q4", "2025Q1", "2025Q2", "2025Q3")
PASSWORD = "a-long-password-1"
# name: (role, unit, admin, approve)
PEOPLE = {
    "admin": ("市级", "", True, False),
    "admin2": ("市级", "", True, True),
    "approver": ("市级", "", False, True),
    "east": ("区级", "东区", False, True),
    "west": ("区级", "西区", False, True),
    "viewer": ("市级", "", False, False),
}


def make_warehouse(db: Path) -> Path:
    """The tables the register reads: grids (units) and the dated records (periods)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE grids (grid_id VARCHAR, grid_name VARCHAR, community VARCHAR, street VARCHAR,"
            " district VARCHAR, grid_type VARCHAR)"
        )
        con.executemany("INSERT INTO grids VALUES (?, ?, ?, ?, ?, '老旧小区')", GRIDS)
        con.execute(
            "CREATE TABLE services AS SELECT * FROM (VALUES (DATE '2024-11-05'), (DATE '2025-02-10')) t(service_date)"
        )
        con.execute("CREATE TABLE demands AS SELECT TIMESTAMP '2025-05-01 09:00' AS reported_at")
        con.execute("CREATE TABLE meetings AS SELECT DATE '2025-08-01' AS meeting_date")
    return db


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return make_warehouse(tmp_path / "warehouse" / "pbi.duckdb")


@pytest.fixture
def people(access_files) -> dict[str, users.User]:
    """The users of these tests, in this test's own users file (tests/conftest.py access_files)."""
    for name, (role, unit, admin, approve) in PEOPLE.items():
        users.add(name, role, unit, PASSWORD, admin=admin, approve=approve)
    return users.load()

"""Methodology v1.2 without a task list and without 报到 links: every published number is
v1.1's. The same warehouse computed with the v1.1 file (tests/engine/fixtures, the file as it
shipped) and with the v1.2 default gives identical unit scores (grades, ranks, lists, rank
intervals), indicator values and member scores — with F6 missing everywhere, the absolute 0.5
equals v1.1's share of 0.5 because the v1 weights of each index sum to 1. A warehouse loaded
before data contract v1.1 (no tasks table, no new columns) computes, too.

Sums over member rows run in parallel (DuckDB adds in no fixed order), so two runs of the very
same file differ in the 14th digit; floats are compared to 1e-12, everything else exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pipelines.engine.compute import compute
from pipelines.engine.methodology import load
from pipelines.engine.scores_db import connect_read
from tests.engine import random_warehouse

V11 = Path(__file__).parent / "fixtures" / "methodology-v1.1.toml"
V11_SHA256 = "fdc59ff2a4f4d871f0d3f7589b24173b9a0cad07be3291cf51b138168104b28b"  # the file v1.1 shipped
AS_OF = dt.date(2025, 12, 15)


def _rows(db: Path, table: str, run: int, order: str) -> pd.DataFrame:
    with connect_read(db) as con:
        rows = con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ? ORDER BY {order}", [run]).df()
    return rows


@pytest.mark.parametrize("v11_columns", [False, True], ids=["older warehouse", "v1.1 warehouse, nothing linked"])
def test_v1_2_without_tasks_and_links_is_v1_1(tmp_path, v11_columns):
    db = random_warehouse.write(tmp_path / "pbi.duckdb", random_warehouse.frames(), v11_columns)
    v11, v12 = load(V11), load()
    assert v11.sha256 == V11_SHA256 and v11.version == "v1.1" and v12.version == "v1.2"
    assert "F6" in {i.code for i in v12.indicators}
    old = compute(db, v11, adjustments=[], as_of=AS_OF)
    new = compute(db, v12, adjustments=[], as_of=AS_OF)
    units_old, units_new = (_rows(db, "unit_scores", r, "period, level, unit_id") for r in (old, new))
    assert len(units_old) == 5 * (30 + 10 + 4 + 2 + 1) + 10  # 4 quarters and the year; streets: 街道3 in both districts
    # Units at the minimum are there: indices missing for some units, present for others.
    assert units_old["fortress"].isna().any() and units_old["fortress"].notna().sum() > 150
    assert units_old["rank_q05"].notna().sum() > 100 and (units_old["rank_q95"] > units_old["rank_q05"]).any()
    pd.testing.assert_frame_equal(units_new, units_old, check_exact=False, rtol=1e-12, atol=0)
    ind_old, ind_new = (_rows(db, "indicator_scores", r, "period, level, unit_id") for r in (old, new))
    assert ind_new["F6"].isna().all() and ind_new["F6_score"].isna().all()
    pd.testing.assert_frame_equal(ind_new, ind_old[ind_new.columns], check_exact=False, rtol=1e-12, atol=0)
    key = "pkey, member_no"
    pd.testing.assert_frame_equal(
        _rows(db, "member_scores", new, key), _rows(db, "member_scores", old, key), rtol=1e-12
    )
    # Nobody is linked: no organisation has points; every counted member has points rows.
    assert _rows(db, "org_points", new, "period, org_id").empty
    assert len(_rows(db, "member_points", new, key)) == len(_rows(db, "member_scores", new, key))

"""Histories from official runs: on the hand-made results of tests/evaluation/results.py (runs 1
and 2 differ: 甲网格 is ranked 3rd, composite 60, in run 1 and 1st, composite 80, in run 2, in
2025Q2 and 2025Q3 alike), 2025Q2 is published with run 1 and 2025Q3 is on notice with run 2
(the latest). An official view's history reads 2025Q2 from run 1 and 2025Q3 from run 2; a draft
view reads run 2 for both — in the serving layer and through dashboard/data.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st

from dashboard import data
from dashboard.viewer import KEY, Viewer
from pipelines.access import users
from pipelines.engine.scores_db import connect_read
from pipelines.evaluation import review
from pipelines.serve import history, runs, units
from tests.evaluation.conftest import PASSWORD, PEOPLE
from tests.evaluation.results import G1, make_results

T0 = dt.datetime(2025, 10, 8, 9, 0)


@pytest.fixture
def db(tmp_path, access_files) -> Path:
    for name, (role, unit, admin, approve) in PEOPLE.items():  # the register's users, as tests/evaluation has them
        users.add(name, role, unit, PASSWORD, admin=admin, approve=approve)
    db = make_results(tmp_path / "warehouse" / "pbi.duckdb")
    review.submit(db, "2025Q2", run=1, by="admin", at=T0)
    review.approve(db, "2025Q2", by="approver", at=T0)
    review.publish(db, "2025Q2", by="admin", at=T0 + dt.timedelta(days=6))
    review.submit(db, "2025Q3", run=2, by="admin", at=T0)
    review.approve(db, "2025Q3", by="approver", at=T0)
    return db


def _composites(rows) -> dict[str, float]:
    return dict(zip(rows["period"], rows["composite"], strict=True))


def test_each_period_is_read_from_its_own_run(db):
    pairs = (("2025Q2", 1), ("2025Q3", 2))
    with connect_read(db) as con:
        assert runs.resolve(con) == 2  # the latest run, which also holds 2025Q2
        assert _composites(units.history(con, 2, "grid", G1)) == {"2025Q2": 80.0, "2025Q3": 80.0}
        # Hand-checked: run 1 ranks 甲网格 3rd (composite 90 − 10·3 = 60) in 2025Q2.
        assert _composites(history.unit(con, pairs, "grid", G1)) == {"2025Q2": 60.0, "2025Q3": 80.0}
        level = history.level(con, pairs, "grid")
        assert set(level["period"]) == {"2025Q2", "2025Q3"} and len(level) == 6
        assert level.set_index(["period", "unit_id"]).loc[("2025Q2", G1), "composite_rank"] == 3
        assert list(level.columns) == list(units.level_history(con, 2, "grid").columns)
        # A period not in the pairs is not read, and no pairs read nothing.
        assert list(history.unit(con, (("2025Q3", 2),), "grid", G1)["period"]) == ["2025Q3"]
        assert history.unit(con, (), "grid", G1).empty
        # Years are asked for by kind, as units.history does.
        assert history.unit(con, (("2024", 1), ("2025Q2", 1)), "grid", G1, kind="year")["period"].tolist() == ["2024"]


@pytest.fixture
def viewer(db, monkeypatch):
    monkeypatch.setenv("PBI_DB", str(db))
    st.cache_data.clear()

    def become(admin: bool) -> data.Stamp:
        st.session_state[KEY] = Viewer("admin" if admin else "east", "市级", "", pii=False, admin=admin)
        return data.stamp()

    yield become
    st.session_state.pop(KEY, None)
    st.cache_data.clear()


def test_the_dashboard_reads_official_runs_unless_a_draft_is_shown(viewer):
    s = viewer(admin=False)
    official = data.choice(s, "2025Q3")
    assert (official.run, official.draft) == (2, False)
    assert data.history_runs(s, official) == (("2025Q2", 1), ("2025Q3", 2))
    assert _composites(data.unit_history(s, data.history_runs(s, official), "grid", G1)) == {
        "2025Q2": 60.0,
        "2025Q3": 80.0,
    }
    level = data.level_history(s, data.history_runs(s, official), "grid")
    assert level.set_index(["period", "unit_id"]).loc[("2025Q2", G1), "composite"] == 60.0
    # An administrator's draft of 2025Q2 (the latest run, 2): that run for every period.
    s = viewer(admin=True)
    draft = data.choice(s, "2025Q2", draft=True)
    assert (draft.run, draft.draft) == (2, True)
    assert data.history_runs(s, draft) == 2
    assert _composites(data.unit_history(s, data.history_runs(s, draft), "grid", G1)) == {
        "2025Q2": 80.0,
        "2025Q3": 80.0,
    }

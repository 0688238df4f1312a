"""The serving layer over the published demo city: which run, and scopes as access/scope.covers says."""

from __future__ import annotations

import pytest

from pipelines.access.scope import covers
from pipelines.engine.scores_db import connect_read
from pipelines.serve import exports, geometry, members, quality, runs, units

PERIOD = "2025Q4"


@pytest.fixture(scope="module")
def con(published_demo):
    with connect_read(published_demo) as con:
        yield con


@pytest.fixture(scope="module")
def street(con) -> str:
    return "/".join(con.execute("SELECT district, street FROM grids ORDER BY ALL LIMIT 1").fetchone())


def test_resolve_names_the_latest_run_or_the_one_asked_if_it_exists(con):
    latest = con.execute("SELECT max(run_id) FROM runs").fetchone()[0]
    assert runs.resolve(con) == latest == runs.resolve(con, period=PERIOD, draft=True)
    assert runs.resolve(con, period=PERIOD) is None  # nothing reviewed: no official run, no draft unless asked
    assert runs.resolve(con, latest) == latest
    assert runs.resolve(con, latest + 1) is None
    assert runs.record(con, latest + 1) is None
    assert runs.record(con, latest)["run_id"] == latest


@pytest.mark.parametrize("level", ["grid", "community", "street"])
def test_a_scope_keeps_the_units_covers_places_under_it(con, street, level):
    run = runs.resolve(con)
    everywhere = units.scores(con, run, PERIOD, level)
    inside = units.scores(con, run, PERIOD, level, street)
    expected = everywhere[[covers(street, p) for p in everywhere["path"]]]
    assert 0 < len(inside) < len(everywhere)
    assert inside["unit_id"].tolist() == expected["unit_id"].tolist()  # same rows, same (published) order
    shapes = geometry.units(con, level, street)
    assert set(shapes["unit_id"]) <= set(everywhere["unit_id"]) and len(shapes) <= len(inside)


def test_the_previous_quarter_travels_with_the_ranking(con):
    run = runs.resolve(con)
    now = units.scores(con, run, PERIOD, "community", previous="2025Q3").set_index("unit_id")
    before = units.scores(con, run, "2025Q3", "community").set_index("unit_id")
    assert (now["prev_composite"] == before.loc[now.index, "composite"]).all()
    assert units.scores(con, run, PERIOD, "community")["prev_composite"].isna().all()


def test_members_and_quarantine_stay_within_the_scope(con, street):
    run = runs.resolve(con)
    grids = set(units.scores(con, run, PERIOD, "grid", street)["unit_id"])
    top = members.listed(con, run, PERIOD, street, "top", 50)
    assert len(top) and set(top["grid_id"]) <= grids
    assert top["score"].is_monotonic_decreasing
    with pytest.raises(ValueError):
        members.listed(con, run, PERIOD, street, "everyone", 5)
    assert quality.quarantined(con, street) == len(quality.quarantine(con, street)) <= quality.quarantined(con)
    assert list(exports.quarantine(con, street).columns) == ["file", "row", "kind", "column", "value", "reason"]

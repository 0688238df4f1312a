"""dashboard/data.py: the viewer's scope is applied before any cached read, so a cached result
made for one viewer is never served to another — the what-if panel in both orders (street
user then city user, city user then street user) — and no cached function can reach the viewer."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from dashboard import data
from dashboard.viewer import KEY, Viewer
from pipelines.engine import whatif
from pipelines.engine.methodology import parse
from pipelines.engine.scores_db import connect_read

PERIOD = "2025Q4"
WEIGHTS = (("F1", 0.0),)  # an edited weight: the level re-ranked
CITY = Viewer("city", "市级", "", pii=False, admin=False)


@pytest.fixture
def published(published_demo, monkeypatch) -> Path:
    monkeypatch.setenv("PBI_DB", str(published_demo))
    st.cache_data.clear()  # each order starts from an empty cache, as a fresh server does
    yield published_demo
    st.cache_data.clear()
    st.session_state.pop(KEY, None)


def _street(db: Path) -> Viewer:
    with connect_read(db) as con:
        district, street = con.execute("SELECT district, street FROM grids ORDER BY ALL LIMIT 1").fetchone()
    return Viewer("street", "街道", f"{district}/{street}", pii=False, admin=False)


def _expected(db: Path, scope: str) -> tuple[pd.DataFrame, dict]:
    """The what-if of the communities in `scope`, computed here from the published tables."""
    with connect_read(db) as con:
        run, text = con.execute("SELECT run_id, config_text FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        published = con.execute(
            "SELECT * FROM unit_scores WHERE run_id = ? AND period = ? AND level = 'community'", [run, PERIOD]
        ).df()
        values = con.execute(
            "SELECT * EXCLUDE (run_id, period, level) FROM indicator_scores "
            "WHERE run_id = ? AND period = ? AND level = 'community'",
            [run, PERIOD],
        ).df()
    level = whatif.compare(published, whatif.recompute(parse(text), dict(WEIGHTS), values))
    inside = level[level["unit_id"].str.startswith(scope + "/")] if scope else level
    return inside.reset_index(drop=True), whatif.summary(level if not scope else inside)


def _whatif(viewer: Viewer) -> tuple[pd.DataFrame, dict]:
    st.session_state[KEY] = viewer
    s = data.stamp()
    return data.whatif_ranking(s, data.latest_run(s)["run_id"], PERIOD, "community", WEIGHTS)


@pytest.mark.parametrize("street_first", [True, False], ids=["street-then-city", "city-then-street"])
def test_each_viewer_gets_their_own_whatif_in_either_order(published, street_first):
    street = _street(published)
    order = [street, CITY] if street_first else [CITY, street]
    seen = {v.name: _whatif(v) for v in order}
    for viewer in order:
        table, summary = seen[viewer.name]
        expected_table, expected_summary = _expected(published, viewer.scope)
        pd.testing.assert_frame_equal(table, expected_table)
        assert summary == expected_summary
    city_table, city_summary = seen["city"]
    street_table, street_summary = seen["street"]
    assert len(street_table) < len(city_table)  # the street sees its communities only …
    assert street_summary["ranked"] < city_summary["ranked"] == city_table["composite_rank"].notna().sum()
    assert set(street_table["unit_id"]) < set(city_table["unit_id"])  # … and the city all of them


def test_a_street_viewer_cannot_widen_the_scope(published):
    street = _street(published)
    st.session_state[KEY] = street
    s = data.stamp()
    units = data.unit_scores(s, data.latest_run(s)["run_id"], PERIOD, "community", scope="")
    assert len(units) and units["unit_id"].str.startswith(street.scope + "/").all()


# --- the rule, read from the code --------------------------------------------------------


def _calls() -> tuple[dict[str, set[str]], set[str]]:
    """Each module-level function (or decorator made by assignment) of dashboard/data.py and the
    names its body uses (its own decorators run outside the cache: not counted); and which
    functions are cached (st.cache_data)."""
    tree = ast.parse(Path(data.__file__).read_text(encoding="utf-8"))
    uses: dict[str, set[str]] = {}
    cached: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names = {n.id for part in node.body for n in ast.walk(part) if isinstance(n, ast.Name)}
            uses[node.name] = names
            if any("cache_data" in ast.unparse(d) for d in node.decorator_list):
                cached.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            uses[node.targets[0].id] = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
    return uses, cached


def _reaches(uses: dict[str, set[str]], start: str, target: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found = uses.get(name, set())
        if target in found:
            return True
        todo.extend(found & uses.keys())
    return False


def test_no_cached_function_reaches_the_viewer():
    uses, cached = _calls()
    assert {"_unit_scores", "_whatif_level", "_meeting_pack"} <= cached  # the rule has something to check
    assert _reaches(uses, "unit_scores", "viewer")  # and the check can see a path to the viewer
    assert [name for name in sorted(cached) if _reaches(uses, name, "viewer")] == []

"""The map: the loader's boundary mart (unit_geometry) and the 地图 page over a published,
computed demo city (AppTest)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from streamlit.testing.v1 import AppTest

from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.load import geometry
from pipelines.load.batch import load
from tests.signin import app

PERIOD = "2025Q4"


@pytest.fixture(scope="module")
def published(published_demo) -> Path:
    """The demo city published once for the session (tests that change it work on a copy)."""
    return published_demo


@pytest.fixture(scope="module")
def mart(published) -> pd.DataFrame:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("SELECT * FROM unit_geometry").df()


@pytest.fixture(scope="module")
def grids(published) -> pd.DataFrame:
    """Every grid that has a boundary, with its place and its boundary as loaded."""
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(
            "SELECT grid_id, district, street, community, geometry FROM grids JOIN grid_geometry USING (grid_id)"
        ).df()


def _copy(published: Path, tmp_path: Path) -> Path:
    db = tmp_path / "pbi.duckdb"
    shutil.copyfile(published, db)
    shutil.copyfile(scores_path(published), scores_path(db))
    return db


def _shapes(texts) -> np.ndarray:
    return shapely.from_geojson(np.asarray(texts, dtype=object))


# ---- the mart ------------------------------------------------------------------------------


def test_one_row_per_unit_per_level(mart, grids):
    expected = {
        "grid": set(grids["grid_id"]),
        "community": set(grids["district"] + "/" + grids["street"] + "/" + grids["community"]),
        "street": set(grids["district"] + "/" + grids["street"]),
        "district": set(grids["district"]),
    }
    assert set(mart["level"]) == set(expected)
    assert not mart.duplicated(["level", "unit_id"]).any()
    for level, units in expected.items():
        rows = mart[mart["level"] == level]
        assert set(rows["unit_id"]) == units, level
        assert rows["grids"].sum() == len(grids), level  # every grid counted once per level


def test_unit_ids_match_the_scores(published, mart):
    """The map joins the scores on unit_id: every boundary has its unit's scores."""
    with connect_read(published) as con:
        scored = con.execute("SELECT DISTINCT level, unit_id FROM unit_scores WHERE level <> 'city'").df()
    assert set(zip(mart["level"], mart["unit_id"], strict=True)) <= set(
        zip(scored["level"], scored["unit_id"], strict=True)
    )


@pytest.mark.parametrize("level", ["community", "street", "district"])
def test_a_union_has_the_area_of_its_grids(mart, grids, level):
    depth = {"community": 3, "street": 2, "district": 1}[level]
    key = grids[["district", "street", "community"][:depth]].agg("/".join, axis=1)
    grid_area = pd.Series(shapely.area(_shapes(grids["geometry"])), index=key).groupby(level=0).sum()
    rows = mart[mart["level"] == level].set_index("unit_id")
    unit_area = pd.Series(shapely.area(_shapes(rows["geometry"])), index=rows.index)
    relative = (unit_area / grid_area.reindex(unit_area.index) - 1).abs()
    assert relative.max() < 0.01, relative.idxmax()  # simplified and rounded: within 1%
    # A union, not a collection of its grids: far fewer vertices than its grids have in all.
    if level == "district":
        vertices = shapely.get_num_coordinates(_shapes(rows["geometry"])).sum()
        assert vertices < shapely.get_num_coordinates(_shapes(grids["geometry"])).sum() / 5


def test_polygons_are_valid_rounded_and_measured(mart):
    shapes = _shapes(mart["geometry"])
    assert shapely.is_valid(shapes).all()
    assert set(shapely.get_type_id(shapes)) <= {3, 6}  # Polygon, MultiPolygon
    coords = shapely.get_coordinates(shapes)
    assert np.abs(coords * 1e5 - np.round(coords * 1e5)).max() < 1e-6  # 5 decimals
    assert not mart["geometry"].str.contains(r"\.\d{6}").any()  # and so is the text sent
    np.testing.assert_allclose(
        shapely.bounds(shapes), mart[["min_lon", "min_lat", "max_lon", "max_lat"]].to_numpy(), atol=1e-9
    )
    centers = shapely.points(mart["center_lon"], mart["center_lat"])
    assert shapely.intersects(shapes, centers).all()  # an inner point, for a label or a marker


def test_unions_of_adjacent_squares():
    """Two grids side by side make one community rectangle; a grid elsewhere in the same
    street makes the street a MultiPolygon; no grid, no unit."""

    def square(x: float, y: float) -> str:
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        return json.dumps({"type": "Polygon", "coordinates": [ring]})

    grids = pd.DataFrame(
        {
            "grid_id": ["g1", "g2", "g3"],
            "district": ["区"] * 3,
            "street": ["街"] * 3,
            "community": ["甲", "甲", "乙"],
            "geometry": [square(120.0, 30.0), square(120.01, 30.0), square(120.05, 30.0)],
        }
    )
    rows = geometry.unit_shapes(grids).set_index(["level", "unit_id"])
    assert list(rows.index) == [
        ("grid", "g1"),
        ("grid", "g2"),
        ("grid", "g3"),
        ("community", "区/街/甲"),
        ("community", "区/街/乙"),
        ("street", "区/街"),
        ("district", "区"),
    ]
    both = shapely.from_geojson(rows.loc[("community", "区/街/甲"), "geometry"])
    assert both.geom_type == "Polygon" and both.area == pytest.approx(2e-4, rel=1e-6)
    assert shapely.get_num_coordinates(both) == 5  # the shared edge is gone
    assert shapely.from_geojson(rows.loc[("street", "区/街"), "geometry"]).geom_type == "MultiPolygon"
    assert rows.loc[("street", "区/街"), "grids"] == 3
    assert geometry.unit_shapes(grids.iloc[0:0]).empty


def test_a_load_rebuilds_the_mart(published, tmp_path, small_default):
    """Derived at every publish, also when no file changed: emptied, a second load of the
    same files builds the same rows again."""
    db = _copy(published, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM unit_geometry")
    load([small_default], db)
    with duckdb.connect(str(db), read_only=True) as con:
        again = con.execute("SELECT * FROM unit_geometry ORDER BY level, unit_id").df()
    with duckdb.connect(str(published), read_only=True) as con:
        before = con.execute("SELECT * FROM unit_geometry ORDER BY level, unit_id").df()
    pd.testing.assert_frame_equal(again, before)


# ---- the page ------------------------------------------------------------------------------


def _app(monkeypatch, db: Path, **params: str) -> AppTest:
    return app(monkeypatch, db, "map", **{"period": PERIOD, **params})


def _spec(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def _values(array) -> np.ndarray:
    """A figure's numbers: plotly sends numpy arrays base64-encoded."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array, dtype=float)


def _scores(db: Path, level: str) -> pd.DataFrame:
    with connect_read(db) as con:
        return con.execute(
            "SELECT * FROM unit_scores WHERE run_id = (SELECT max(run_id) FROM runs) AND period = ? AND level = ?",
            [PERIOD, level],
        ).df()


def test_grid_map_shows_every_grid_with_its_score(monkeypatch, published, mart):
    at = _app(monkeypatch, published, level="grid")
    assert not at.exception
    assert at.title[0].value == f"地图 · 网格 · {PERIOD}"
    assert "党建综合指数" in at.caption[0].value
    spec = _spec(at)
    assert "http" not in json.dumps(spec)  # no tiles, fonts or scripts from anywhere
    assert spec["layout"]["map"]["style"] == "white-bg"
    (trace,) = spec["data"]
    assert trace["type"] == "choroplethmap" and trace["featureidkey"] == "id"
    grids = set(mart.loc[mart["level"] == "grid", "unit_id"])
    assert sorted(trace["locations"]) == sorted(grids)
    assert {f["id"] for f in trace["geojson"]["features"]} == grids
    scores = _scores(published, "grid").set_index("unit_id")
    np.testing.assert_allclose(_values(trace["z"]), scores.loc[trace["locations"], "composite"], rtol=1e-12)
    assert spec["layout"]["coloraxis"]["cmin"] == 0 and spec["layout"]["coloraxis"]["cmax"] == 100
    # Hover: name, the four scores to one decimal, the grade.
    first = trace["customdata"][0]
    unit = scores.loc[trace["locations"][0]]
    assert first == [
        unit["unit_name"],
        f"{unit['composite']:.1f}",
        f"{unit['fortress']:.1f}",
        f"{unit['vanguard']:.1f}",
        f"{unit['service']:.1f}",
        unit["grade"],
    ]
    assert "堡垒指数" in trace["hovertemplate"] and "等级" in trace["hovertemplate"]
    # Centered on the grids, zoomed in past the whole world.
    lon, lat = spec["layout"]["map"]["center"]["lon"], spec["layout"]["map"]["center"]["lat"]
    assert mart["min_lon"].min() < lon < mart["max_lon"].max() and mart["min_lat"].min() < lat < mart["max_lat"].max()
    assert 8 < spec["layout"]["map"]["zoom"] < 16


def test_the_chosen_index_and_level(monkeypatch, published, mart):
    at = _app(monkeypatch, published, level="community", index="service")
    assert not at.exception and at.title[0].value == f"地图 · 社区 · {PERIOD}"
    (trace,) = _spec(at)["data"]
    assert sorted(trace["locations"]) == sorted(mart.loc[mart["level"] == "community", "unit_id"])
    scores = _scores(published, "community").set_index("unit_id")
    np.testing.assert_allclose(_values(trace["z"]), scores.loc[trace["locations"], "service"], rtol=1e-12)
    assert "服务指数" in at.caption[0].value


def test_scope_keeps_its_units(monkeypatch, published, grids):
    district, street = grids.iloc[0][["district", "street"]]
    at = _app(monkeypatch, published, level="grid", scope=f"{district}/{street}")
    assert not at.exception
    (trace,) = _spec(at)["data"]
    inside = grids[(grids["district"] == district) & (grids["street"] == street)]["grid_id"]
    assert sorted(trace["locations"]) == sorted(inside)
    assert len(inside) < len(grids)
    # The view fits the scope: zoomed in further than the whole city's map.
    whole = _spec(_app(monkeypatch, published, level="grid"))
    assert _spec(at)["layout"]["map"]["zoom"] > whole["layout"]["map"]["zoom"]


def test_city_level_shows_its_districts(monkeypatch, published, mart):
    at = _app(monkeypatch, published, level="city")
    assert not at.exception
    assert at.info[0].value == "全市只有一个单位，地图按区县显示。"
    (trace,) = _spec(at)["data"]
    assert sorted(trace["locations"]) == sorted(mart.loc[mart["level"] == "district", "unit_id"])


def test_english(monkeypatch, published):
    at = _app(monkeypatch, published, level="street", lang="en")
    assert not at.exception
    assert at.title[0].value == f"Map · Street · {PERIOD}"
    assert at.caption[0].value.startswith("Colour: Composite")
    (trace,) = _spec(at)["data"]
    assert "Grade" in trace["hovertemplate"] and "等级" not in trace["hovertemplate"]


def test_a_click_opens_the_units_profile(monkeypatch, published):
    at = _app(monkeypatch, published, level="grid")
    chart = at.get("plotly_chart")[0]
    unit = json.loads(chart.proto.spec)["data"][0]["locations"][3]
    # What the browser sends when a unit is clicked (AppTest cannot click a plotly chart).
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    selection = {"points": [{"location": unit, "point_index": 3}], "point_indices": [3], "box": [], "lasso": []}
    state.string_value = json.dumps({"selection": selection})
    at._run(widget_state=states)
    assert at.query_params["unit"] in (unit, [unit])
    assert at.query_params["level"] in ("grid", ["grid"])
    assert not at.exception and not any(title.value.startswith("地图") for title in at.title)  # left the map


def test_unscored_units_are_grey_and_units_without_boundary_counted(monkeypatch, published, tmp_path):
    db = _copy(published, tmp_path)
    scores = _scores(db, "grid")
    blank, gone = scores["unit_id"].iloc[0], scores["unit_id"].iloc[1]
    with duckdb.connect(str(scores_path(db))) as con:
        con.execute("UPDATE unit_scores SET vanguard = NULL WHERE level = 'grid' AND unit_id = ?", [blank])
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM unit_geometry WHERE level = 'grid' AND unit_id = ?", [gone])
    at = _app(monkeypatch, db, level="grid", index="vanguard")
    assert not at.exception
    scored, grey = _spec(at)["data"]
    assert grey["locations"] == [blank] and blank not in scored["locations"]
    assert [f["id"] for f in grey["geojson"]["features"]] == [blank]  # its shape sent once
    assert grey["customdata"][0][3] == "—"  # vanguard missing in the hover
    assert gone not in scored["locations"] + grey["locations"]
    assert at.caption[1].value == "另有 1 个单位没有网格边界，未在地图上显示。"


def test_a_warehouse_without_the_mart_says_to_load_again(monkeypatch, published, tmp_path):
    db = _copy(published, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE unit_geometry")
    at = _app(monkeypatch, db, level="grid")
    assert not at.exception and not at.get("plotly_chart")
    assert "python -m pipelines load" in at.info[0].value


def test_a_level_without_any_boundary_says_so(monkeypatch, published, tmp_path):
    db = _copy(published, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM unit_geometry WHERE level = 'street'")
    at = _app(monkeypatch, db, level="street")
    assert not at.exception and not at.get("plotly_chart")
    assert at.info[0].value == "所选范围内没有带边界的单位。"

"""The map's boundaries of every unit, built when a load publishes: the mart `unit_geometry`
(pipelines/sql/marts/unit_geometry.sql).

Grids keep their own polygon; a community is the union of its grids, a street of its
communities, a district of its streets (the data contract: geometry above the grid is the
union of the grids'). Each level is simplified with a tolerance that stays under a pixel
where that level is looked at, and coordinates are rounded to 5 decimals (about a metre):
the map of every grid of a city is then a few hundred kilobytes, sent to the browser once.

This is Python (shapely, which the loader already uses to check polygons), not SQL: DuckDB's
`spatial` extension is not part of the duckdb package and `INSTALL spatial` downloads it,
which an offline machine cannot. The unions are GEOS's, vectorised per group.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

SQL = Path(__file__).resolve().parent.parent / "sql"
TABLE = SQL / "marts" / "unit_geometry.sql"
GRID_SHAPES = SQL / "intermediate" / "int_grid_shapes.sql"
PRECISION = 1e-5  # degrees: 5 decimals, about 1.1 m of latitude
# Simplification per level, in degrees (1e-4 is about 10 m). A grid is looked at zoomed into
# its community, a district with the whole city in view; Douglas–Peucker with topology kept.
TOLERANCE = {"grid": 2e-5, "community": 5e-5, "street": 1e-4, "district": 2e-4}
PLACE = ("district", "street", "community")
COLUMNS = [
    "level",
    "unit_id",
    "grids",
    "geometry",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "center_lon",
    "center_lat",
]


def _union_by(keys: list[tuple[str, ...]], shapes: np.ndarray, counts: np.ndarray):
    """One union per distinct key (keys in first-seen order), and the grids each holds. Exact
    (no snapping here: snapping each piece before the next union opens slivers where a vertex
    lies on a neighbour's edge); the rounding at the end closes hairline gaps of under a metre."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    unions = np.empty(len(groups), dtype=object)
    unions[:] = [shapely.union_all(shapes[idx]) for idx in groups.values()]
    return list(groups), unions, np.array([counts[idx].sum() for idx in groups.values()], dtype=np.int32)


def _rows(level: str, ids: list[str], shapes: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """Simplified, rounded and measured shapes of one level; ones that vanish are dropped."""
    shapes = shapely.set_precision(shapely.simplify(shapes, TOLERANCE[level], preserve_topology=True), PRECISION)
    keep = ~shapely.is_empty(shapes)
    shapes = shapes[keep]
    bounds = shapely.bounds(shapes).reshape(-1, 4)
    inner = shapely.get_coordinates(shapely.point_on_surface(shapes)).reshape(-1, 2)
    return pd.DataFrame(
        {
            "level": level,
            "unit_id": np.asarray(ids, dtype=object)[keep],
            "grids": counts[keep],
            "geometry": shapely.to_geojson(shapes),
            "min_lon": bounds[:, 0],
            "min_lat": bounds[:, 1],
            "max_lon": bounds[:, 2],
            "max_lat": bounds[:, 3],
            "center_lon": inner[:, 0],
            "center_lat": inner[:, 1],
        },
        columns=COLUMNS,
    )


def unit_shapes(grids: pd.DataFrame) -> pd.DataFrame:
    """Every unit's map boundary from its grids' (grid_id, district, street, community,
    geometry as GeoJSON text): the rows of the mart, grids first, then communities,
    streets, districts."""
    if grids.empty:
        return pd.DataFrame(columns=COLUMNS)
    shapes = shapely.from_geojson(grids["geometry"].to_numpy(dtype=object))
    ones = np.ones(len(grids), dtype=np.int32)
    out = [_rows("grid", list(grids["grid_id"]), shapes, ones)]
    # Each level is the union of the one below (fewer, larger pieces than all its grids).
    keys = list(zip(*(grids[p] for p in PLACE), strict=True))
    keys, shapes, counts = _union_by(keys, shapes, ones)
    out.append(_rows("community", ["/".join(k) for k in keys], shapes, counts))
    for level, depth in (("street", 2), ("district", 1)):
        keys, shapes, counts = _union_by([k[:depth] for k in keys], shapes, counts)
        out.append(_rows(level, ["/".join(k) for k in keys], shapes, counts))
    return pd.concat(out, ignore_index=True)


def build(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)build `unit_geometry` in the database being published; the rows written."""
    con.execute(TABLE.read_text(encoding="utf-8"))
    rows = unit_shapes(con.execute(GRID_SHAPES.read_text(encoding="utf-8")).df())
    con.register("_unit_shapes", pa.Table.from_pandas(rows, preserve_index=False))
    try:
        con.execute(f"INSERT INTO unit_geometry ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM _unit_shapes")
    finally:
        con.unregister("_unit_shapes")
    return len(rows)

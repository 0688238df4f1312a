"""The map's boundaries of units, from the loader's mart `unit_geometry`."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from pipelines.access.scope import as_unit
from pipelines.serve.query import frame, published


def units(con: duckdb.DuckDBPyConnection, level: str, scope: str = "") -> pd.DataFrame | None:
    """unit_id, geometry (GeoJSON text) and bounding box of a level's units within the scope;
    None when the warehouse was published before the loader built the mart."""
    if not published(con, "unit_geometry"):
        return None
    return frame(con, "unit_geometry", level=level, scope=scope)


def features(rows: pd.DataFrame) -> list[dict]:
    """GeoJSON features whose ids are the unit ids."""
    return [
        {"type": "Feature", "id": unit, "geometry": json.loads(geometry)}
        for unit, geometry in zip(rows["unit_id"], rows["geometry"], strict=True)
    ]


def beside(con: duckdb.DuckDBPyConnection, scope: str) -> list[dict]:
    """The boundaries of the units beside the unit `scope` (the other units of its level under
    the same parent: other districts for a district) as anonymous features — no id, name or
    score. Empty for the city, or when the mart is missing."""
    if not scope or not published(con, "unit_geometry"):
        return []
    level, _ = as_unit(scope)
    parent = scope.rsplit("/", 1)[0] if "/" in scope else ""
    rows = frame(con, "outside_geometry", level=level, unit=scope, parent=parent)
    return [
        {"type": "Feature", "id": f"outside-{i}", "geometry": json.loads(g)} for i, g in enumerate(rows["geometry"])
    ]

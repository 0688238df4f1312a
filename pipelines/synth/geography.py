"""The administrative tree (district → street → community → grid) and grid polygons.

Polygons are nested Voronoi tilings clipped to their parent, so grids tile each
community without overlap, communities tile streets, and so on; shapes are irregular
convex cells around random seeds, not a lattice.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.strtree import STRtree

from pipelines.synth import names
from pipelines.synth.scales import Scale

GRID_TYPES = ["老旧小区", "商品房小区", "村改居", "商圈楼宇"]
GRID_TYPE_SHARES = [0.35, 0.40, 0.15, 0.10]
# Households per grid by type: (low, high), uniform.
HOUSEHOLDS = {"老旧小区": (240, 560), "商品房小区": (320, 880), "村改居": (160, 480), "商圈楼宇": (60, 260)}

KM_PER_DEG_LAT = 111.0


def _outline(rng: np.random.Generator, radius_km: float) -> Polygon:
    """A slightly irregular blob around the city centre."""
    lon0, lat0 = names.CITY_CENTRE
    angles = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    radii = radius_km * (1 + 0.12 * np.sin(3 * angles + rng.uniform(0, 6)) + rng.uniform(-0.05, 0.05, 48))
    dlat = radii * np.sin(angles) / KM_PER_DEG_LAT
    dlon = radii * np.cos(angles) / (KM_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return Polygon(np.column_stack([lon0 + dlon, lat0 + dlat]))


def _points_inside(rng: np.random.Generator, poly, n: int) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        cand = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        found = np.vstack([found, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return found[:n]


def split(rng: np.random.Generator, poly, n: int) -> list:
    """Tile `poly` into n cells (Voronoi around random seeds, clipped to poly)."""
    if n == 1:
        return [poly]
    pts = _points_inside(rng, poly, n)
    cells = shapely.voronoi_polygons(MultiPoint(pts), extend_to=poly, ordered=True)
    return [cell.intersection(poly) for cell in cells.geoms]


def build_tree(rng: np.random.Generator, scale: Scale) -> pd.DataFrame:
    """One row per grid with its names, codes, peer class, households and polygon."""
    outline = _outline(rng, scale.radius_km)
    districts = names.DISTRICTS[: scale.districts]
    n_streets = [int(rng.integers(lo, hi + 1)) for lo, hi in [scale.streets_per_district] * len(districts)]
    street_pool = names.street_names(rng, sum(n_streets))
    rows: list[dict] = []
    for (district, dcode), dpoly, ns in zip(districts, split(rng, outline, len(districts)), n_streets, strict=True):
        streets, street_pool = street_pool[:ns], street_pool[ns:]
        used_communities: set[str] = set()  # community names are unique within a district
        for si, (street, spoly) in enumerate(zip(streets, split(rng, dpoly, ns), strict=True), start=1):
            nc = int(rng.integers(scale.communities_per_street[0], scale.communities_per_street[1] + 1))
            communities = names.community_names(rng, nc, used_communities)
            for ci, (community, cpoly) in enumerate(zip(communities, split(rng, spoly, nc), strict=True), start=1):
                dominant = rng.choice(GRID_TYPES, p=GRID_TYPE_SHARES)
                ng = int(rng.integers(scale.grids_per_community[0], scale.grids_per_community[1] + 1))
                used_grids: set[str] = set()
                for gi, gpoly in enumerate(split(rng, cpoly, ng), start=1):
                    gtype = dominant if rng.random() < 0.7 else rng.choice(GRID_TYPES, p=GRID_TYPE_SHARES)
                    lo, hi = HOUSEHOLDS[gtype]
                    households = int(rng.integers(lo, hi + 1))
                    rows.append(
                        {
                            "grid_id": f"{dcode}{si:03d}{ci:03d}{gi:03d}",
                            "grid_name": names.estate_name(rng, gtype, used_grids),
                            "community": community,
                            "street": street,
                            "district": district,
                            "district_code": dcode,
                            "community_key": f"{district}/{street}/{community}",
                            "street_key": f"{district}/{street}",
                            "households": households,
                            "residents": int(households * rng.uniform(2.2, 3.0)),
                            "grid_type": gtype,
                            "geometry": gpoly,
                        }
                    )
    return pd.DataFrame(rows)


def _noded(geoms: list) -> list:
    """Each polygon with its neighbours' vertices inserted where they lie on its edges.

    Clipping leaves T-junctions (a vertex of one cell in the middle of its neighbour's
    edge); rounding coordinates would then open slivers of overlap. With the same vertices
    on both sides, rounding moves shared edges identically.
    """
    tree = STRtree(geoms)
    left, right = tree.query(geoms)  # envelopes: neighbours may be apart by a float error
    out = []
    for i, geom in enumerate(geoms):
        neighbours = right[(left == i) & (right != i)]
        if len(neighbours) == 0:
            out.append(geom)
            continue
        ref = MultiPoint(np.vstack([shapely.get_coordinates(geoms[j]) for j in neighbours]))
        out.append(shapely.snap(geom, ref, 1e-9))
    return out


def feature_collection(grids: pd.DataFrame, digits: int = 6) -> dict:
    """GeoJSON FeatureCollection of the grid polygons (WGS-84 lon/lat), `digits` decimals."""
    features = []
    geoms = _noded(list(grids["geometry"]))
    for gid, gname, geom in zip(grids["grid_id"], grids["grid_name"], geoms, strict=True):
        mapping = shapely.geometry.mapping(shapely.set_precision(geom, 10.0**-digits))
        features.append(
            {
                "type": "Feature",
                "properties": {"网格编码": gid, "网格名称": gname},
                "geometry": _round(mapping, digits),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _round(obj, digits: int):
    if isinstance(obj, dict):
        return {k: _round(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        if obj and isinstance(obj[0], float):
            return [round(v, digits) for v in obj]
        return [_round(v, digits) for v in obj]
    return obj

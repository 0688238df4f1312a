"""Scopes: the whole city ("") or a unit path (区县, 区县/街道, 区县/街道/社区), and the
units under it. The dashboard, the exports and the audit log all use these two rules."""

from __future__ import annotations


def covers(scope: str, path: str) -> bool:
    """Whether the unit at `path` ("" for the city) is at or under `scope`."""
    return scope == "" or path == scope or path.startswith(scope + "/")


def as_unit(scope: str) -> tuple[str, str]:
    """A scope as a unit: (level, unit_id) — ("city", "全市"), or a district, street or community
    by the depth of its path."""
    if not scope:
        return "city", "全市"
    return ("district", "street", "community")[scope.count("/")], scope


def narrow(floor: str, asked: str) -> str:
    """The scope asked for if it lies within `floor` (the user's own), else `floor`: a scope
    can be narrowed by a filter, never widened."""
    return asked if covers(floor, asked) else floor


# The same rules in SQL, with the scope as parameters only (three: see sql_args).
GRID_PATH = "concat_ws('/', g.district, g.street, g.community)"  # a grid's place: its community's path
# A unit's place (unit_scores u LEFT JOIN grids g ON the grid): its own path above the grid.
UNIT_PATH = f"CASE WHEN u.level = 'grid' THEN {GRID_PATH} ELSE u.unit_id END"


def sql_in(path: str) -> str:
    """A predicate: the unit at `path` (an SQL expression) is within the scope parameter."""
    return f"(? = '' OR {path} = ? OR starts_with({path}, ? || '/'))"


def sql_args(scope: str) -> list[str]:
    return [scope, scope, scope]


# A quarantined row belongs to a scope when its staged row names a grid in it; rows naming no
# known grid (meetings, unknown grids) belong to the city only.
QUARANTINE_IN_SCOPE = f"""(? = '' OR json_extract_string(q.staged, '$.grid_id') IN (
    SELECT grid_id FROM grids g WHERE {sql_in(GRID_PATH)}))"""


def quarantine_args(scope: str) -> list[str]:
    return [scope, *sql_args(scope)]

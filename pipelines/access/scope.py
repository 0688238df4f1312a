"""Scopes: the whole city ("") or a unit path (区县, 区县/街道, 区县/街道/社区), and the
units under it. The dashboard, the exports and the audit log all use these rules; the serving
layer states `covers` in SQL once (pipelines/serve/sql/macros.sql: pbi_covers)."""

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

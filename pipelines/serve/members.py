"""Members' published scores within a scope: per tier, per score band, the top and the
never-active, one member's history and identity. Names come in clear: masking is the
caller's (it knows who is looking)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.serve.periods import span
from pipelines.serve.query import frame

LISTS = ("top", "inactive")


def tiers(con: duckdb.DuckDBPyConnection, run: int, period: str, scope: str = "") -> pd.DataFrame:
    """Counted members in scope per tier (every tier listed), with their mean score and how
    many were never active (no service, no claim) this quarter."""
    return frame(con, "member_tiers", run=run, pkey=span(period).key, scope=scope)


def bands(con: duckdb.DuckDBPyConnection, run: int, period: str, scope: str = "") -> pd.DataFrame:
    """Counted members in scope per 5-point band of the vanguard score."""
    return frame(con, "member_bands", run=run, pkey=span(period).key, scope=scope)


def listed(con: duckdb.DuckDBPyConnection, run: int, period: str, scope: str, which: str, limit: int) -> pd.DataFrame:
    """The top members by vanguard score (which='top'), or members never active this quarter
    (which='inactive'): member_no, name (latest, in clear), grid_id, grid_name, services,
    hours, claims, rating, score, tier."""
    if which not in LISTS:
        raise ValueError(which)
    return frame(con, "members_listed", run=run, pkey=span(period).key, scope=scope, which=which, limit=limit)


def history(con: duckdb.DuckDBPyConnection, run: int, member: int, scope: str = "") -> pd.DataFrame:
    """One member's quarters counted in a grid within the scope."""
    return frame(con, "member_history", run=run, member=member, scope=scope)


def identity(con: duckdb.DuckDBPyConnection, member: int, scope: str = "") -> pd.DataFrame:
    """The member's latest roster row, if it lies within the scope (else no row)."""
    return frame(con, "member_identity", member=member, scope=scope)

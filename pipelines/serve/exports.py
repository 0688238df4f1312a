"""The command line's CSV exports (`python -m pipelines export scores|members|points|quarantine`)."""

from __future__ import annotations

import pandas as pd
from duckdb import DuckDBPyConnection as Connection

from pipelines.serve import quality
from pipelines.serve.periods import span
from pipelines.serve.query import frame, published

# The 正能量值 export's columns (methodology v1.2), per level.
POINTS_COLUMNS = {
    "members": ["period", "member_key", "grid_id", "points", "points_ytd", "tier"],
    "orgs": [
        "period",
        "org_id",
        "org_name",
        "district",
        "members",
        "points",
        "points_per_member",
        "city_rank",
        "district_rank",
    ],
}


def scores(
    con: Connection, run: int | None, scope: str = "", period: str | None = None, level: str | None = None
) -> pd.DataFrame:
    """Every unit's published scores of the run within the scope, of one quarter and level or
    all (None); no list is written as "" (not NaN)."""
    rows = frame(con, "export_scores", run=run, period=period, level=level, scope=scope)
    rows["list"] = rows["list"].fillna("")
    return rows


def members(con: Connection, run: int | None, scope: str = "", period: str | None = None) -> pd.DataFrame:
    """Every counted member's score and tier of the run within the scope, by pseudonymous key."""
    return frame(con, "export_members", run=run, period=period, scope=scope)


def points(con: Connection, run: int | None, period: str, level: str = "members", scope: str = "") -> pd.DataFrame:
    """The run's 正能量值 of one period (a quarter or a year) within the scope: every counted
    member by pseudonymous key (`members`), or the reporting organisations (`orgs`); ranks are
    whole numbers, empty where not ranked. No rows for a run computed before v1.2."""
    columns = POINTS_COLUMNS[level]
    if run is None or not published(con, "member_points"):
        return pd.DataFrame(columns=columns)
    query = "export_points_members" if level == "members" else "points_orgs"  # orgs: as the 双报到 page lists them
    rows = frame(con, query, run=run, period=period, pkey=span(period).key, scope=scope)
    rows["period"] = period
    for column in ("members", "city_rank", "district_rank"):
        if column in rows:
            rows[column] = rows[column].astype("Int64")
    return rows[columns]


def quarantine(con: Connection, scope: str = "") -> pd.DataFrame:
    """Every quarantined row within the scope as a user finds it (without the rule's code)."""
    return quality.quarantine(con, scope).drop(columns="rule")

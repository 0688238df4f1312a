"""The command line's CSV exports (`python -m pipelines export scores|members|quarantine`)."""

from __future__ import annotations

import pandas as pd
from duckdb import DuckDBPyConnection as Connection

from pipelines.serve import quality
from pipelines.serve.query import frame


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


def quarantine(con: Connection, scope: str = "") -> pd.DataFrame:
    """Every quarantined row within the scope as a user finds it (without the rule's code)."""
    return quality.quarantine(con, scope).drop(columns="rule")

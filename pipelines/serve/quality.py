"""What the loader held back and what it read: quarantined rows within a scope, the load ledger.
A scope holds the quarantined rows naming one of its grids; the rest belong to the city."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.serve.query import frame


def quarantined(con: duckdb.DuckDBPyConnection, scope: str = "") -> int:
    """How many quarantined rows lie within the scope."""
    return int(frame(con, "quarantine_count", scope=scope)["n"].iloc[0])


def quarantine(con: duckdb.DuckDBPyConnection, scope: str = "") -> pd.DataFrame:
    """Every quarantined row within the scope: file, row, kind, column, value (ID numbers and
    phones masked by the loader), reason, rule."""
    return frame(con, "quarantine_rows", scope=scope)


def ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every file of every load batch: rows read, loaded, quarantined, unchanged."""
    return frame(con, "load_ledger")

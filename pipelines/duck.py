"""Small DuckDB helpers shared by the loader and the engine."""

from __future__ import annotations

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """One value. fetchall() so the result is complete: DuckDB 2.0 refuses new work on a
    connection with an unfinished result (fetchone() leaves it open)."""
    return con.execute(sql, params or []).fetchall()[0][0]

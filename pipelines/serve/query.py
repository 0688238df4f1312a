"""Running the serving layer's SQL: one SELECT per file in sql/, named parameters ($name).

Every file may use the scope macros of sql/macros.sql (pbi_covers, pbi_grid_path, …): they are
made once per connection, before its first query. Values reach SQL only as parameters.
"""

from __future__ import annotations

import functools
import weakref
from pathlib import Path

import duckdb
import pandas as pd

SQL = Path(__file__).resolve().parent / "sql"

# Connections that already hold the macros (temporary: they live as long as the connection).
_prepared: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


@functools.cache
def text(name: str) -> str:
    """The SQL of sql/`name`.sql."""
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def frame(con: duckdb.DuckDBPyConnection, name: str, /, **params: object) -> pd.DataFrame:
    """The result of sql/`name`.sql with its named parameters, as a DataFrame."""
    if con not in _prepared:
        con.execute(text("macros"))
        _prepared.add(con)
    return con.execute(text(name), params).df()


def published(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the published files hold this table or view (older ones lack newer marts).
    Asked, not caught: a missing name is not always an error, DuckDB may find a Python
    variable of that name instead."""
    return bool(frame(con, "published", table=table)["n"].iloc[0])

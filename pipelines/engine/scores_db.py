"""Where the engine's results live: a database of their own beside the loaded warehouse.

`pbi.duckdb` holds what the loader published; `pbi.scores.duckdb` the runs and their scores
(pipelines/engine/marts.py). Each is published by its own writer (copy, write, os.replace),
so a computation copies only earlier results, not the millions of loaded records, and a
load does not copy every run's scores. Readers attach both, read-only, under one search
path: `scores` first, then `warehouse`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def scores_path(db: Path) -> Path:
    """The results database that belongs to the warehouse `db` (pbi.duckdb → pbi.scores.duckdb)."""
    db = Path(db)
    return db.with_name(f"{db.stem}.scores.duckdb")


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def attach(scores: Path, warehouse: Path, read_only: bool, **config: object) -> duckdb.DuckDBPyConnection:
    """A connection to both databases: `scores` (written unless read_only) and `warehouse`
    (always read-only); unqualified names resolve in that order, new tables go to scores."""
    con = duckdb.connect(":memory:", config=config)
    mode = " (READ_ONLY)" if read_only else ""
    if not read_only or Path(scores).exists():
        con.execute(f"ATTACH {_literal(scores)} AS scores{mode}")
    con.execute(f"ATTACH {_literal(warehouse)} AS warehouse (READ_ONLY)")
    attached = {name for (name,) in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    path = ",".join(f"{name}.main" for name in ("scores", "warehouse") if name in attached)
    con.execute(f"USE {'scores' if 'scores' in attached else 'warehouse'}")
    con.execute(f"SET search_path = '{path}'")
    return con


def connect_read(db: Path) -> duckdb.DuckDBPyConnection:
    """Read-only view of the warehouse `db` and its results (if computed)."""
    return attach(scores_path(db), db, read_only=True)

"""Which run a view reads, and its record.

Every reader asks `resolve` which run to show: today the latest computation (or the one named);
the review-and-publish workflow will choose the official run of a period here, in one place.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from pipelines.serve.query import frame, published


def resolve(con: duckdb.DuckDBPyConnection, run: int | None = None, period: str | None = None) -> int | None:
    """The run to read: `run` if it was computed, else None; with no run named, the newest
    (None before any computation). `period` is the quarter the view shows: every quarter's
    run is the newest today."""
    if run is not None:
        return run if not frame(con, "run", run=run).empty else None
    latest = frame(con, "latest_run")["run_id"].iloc[0]
    return None if pd.isna(latest) else int(latest)


def record(con: duckdb.DuckDBPyConnection, run: int) -> dict | None:
    """A run's record: id, time, methodology version, config hash and text, data batch, digest
    and file hashes (None for no such run)."""
    rows = frame(con, "run", run=run)
    return None if rows.empty else rows.iloc[0].to_dict()


def files(con: duckdb.DuckDBPyConnection, run: dict) -> pd.DataFrame:
    """The content hash of every file a run read, with its name and kind where the warehouse
    still knows it."""
    hashes = json.loads(run["data_files"] or "[]")
    names = frame(con, "run_files", hashes=hashes)
    return pd.DataFrame({"content_hash": hashes}).merge(names, on="content_hash", how="left")


def loaded_at(con: duckdb.DuckDBPyConnection, run: dict) -> object:
    """When the run's data batch was published (None if unknown)."""
    batch = run["data_batch"]
    if not published(con, "load_batches") or batch is None or batch != batch:  # NaN: no batch
        return None
    rows = frame(con, "batch_finished", batch=int(batch))
    return None if rows.empty else rows["finished_at"].iloc[0]


def data_date(con: duckdb.DuckDBPyConnection) -> object:
    """The roster snapshot the data stands at (数据日期; None before members are loaded)."""
    return frame(con, "data_date")["d"].iloc[0] if published(con, "members") else None

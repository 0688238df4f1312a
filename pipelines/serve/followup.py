"""Rectification follow-up for the meeting pack (上期整改情况): the tracked items of a period
(pipelines/evaluation/rectification.py, made when the period was published) of one level in a
scope, with their status at a given time. The register lives beside the warehouse; a reader
holding only the results connection finds it there, as serve.runs does for review states."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

COLUMNS = [
    "item_id",
    "period",
    "level",
    "unit_id",
    "unit_name",
    "unit_path",
    "reasons",
    "organisation",
    "deadline",
    "measures",
    "status",
    "overdue",
]


def items(
    con: duckdb.DuckDBPyConnection, period: str | None, level: str, scope: str = "", at: dt.datetime | None = None
) -> pd.DataFrame:
    """The rectification items of `period` (None: none) whose unit is of `level` and at or under
    `scope`, oldest first, each with its status at `at` (待整改, 整改中, 已完成, 已销号 or 逾期;
    default: the register's clock now). Empty without a register or a period."""
    # Imported here: the register (and users, audit) is needed only once a pack asks.
    from pipelines.evaluation import rectification, review

    db = review.warehouse_of(con)
    if period is None or db is None:
        return pd.DataFrame(columns=COLUMNS)
    rows = rectification.listing(db, period=period, scope=scope, at=at)
    return rows[rows["level"] == level][COLUMNS].reset_index(drop=True)


def tally(rows: pd.DataFrame) -> dict[str, int]:
    """How many items are in each status, every status listed (in the register's order)."""
    from pipelines.evaluation.rectification import STATUSES

    counts = rows["status"].value_counts() if len(rows) else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in STATUSES}

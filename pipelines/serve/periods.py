"""Quarters: a period is written '2025Q4'; its key (20254, as member_scores.pkey) and its days."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb

from pipelines.serve.query import frame


class Quarter(NamedTuple):
    key: int  # 20254 for 2025Q4 (the engine's pbi_qkey)
    start: dt.date  # its first day
    end: dt.date  # the first day after it


def quarter(period: str) -> Quarter:
    """A quarter's key and its first day and the first day after it: records are matched by
    these, not by a label built for every row."""
    year, q = int(period[:4]), int(period[-1])
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return Quarter(year * 10 + q, start, end)


def periods(con: duckdb.DuckDBPyConnection, run: int) -> list[str]:
    """The run's quarters, oldest first."""
    return frame(con, "periods", run=run)["period"].tolist()


def previous(quarters: list[str], period: str) -> str | None:
    """The quarter before `period` among the run's `quarters` (None for the first)."""
    at = quarters.index(period)
    return quarters[at - 1] if at > 0 else None

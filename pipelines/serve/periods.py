"""Periods: a quarter is written '2025Q4' (key 20254), a year '2025' (key 20250, as
member_scores.pkey); each has its first day and the first day after it. A run's periods are
its quarters, then its years (methodology v1.1), and run_periods says whether each was over
when the run was computed (a year still running is 年度累计, year-to-date, not 年度考评)."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

import duckdb
import pandas as pd

from pipelines.serve.query import frame, published

QUARTER, YEAR = "quarter", "year"
_FORMS = {QUARTER: re.compile(r"[0-9]{4}Q[1-4]"), YEAR: re.compile(r"[0-9]{4}")}  # ASCII digits only


class Span(NamedTuple):
    key: int  # 20254 for 2025Q4 (the engine's pbi_qkey), 20250 for the year 2025
    start: dt.date  # its first day
    end: dt.date  # the first day after it
    kind: str  # QUARTER or YEAR


def kind(period: str) -> str:
    """QUARTER or YEAR; ValueError for anything else."""
    for name, form in _FORMS.items():
        if form.fullmatch(period):
            return name
    raise ValueError(f"not a period: {period!r} (a quarter such as 2025Q3, or a year such as 2025)")


def is_year(period: str) -> bool:
    return kind(period) == YEAR


def span(period: str) -> Span:
    """A period's key and its first day and the first day after it: records are matched by
    these, not by a label built for every row."""
    if kind(period) == YEAR:
        year = int(period)
        return Span(year * 10, dt.date(year, 1, 1), dt.date(year + 1, 1, 1), YEAR)
    year, q = int(period[:4]), int(period[-1])
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return Span(year * 10 + q, start, end, QUARTER)


quarter = span  # the name it had when every period was a quarter


def periods(con: duckdb.DuckDBPyConnection, run: int) -> list[str]:
    """The run's quarters oldest first, then its years oldest first."""
    return frame(con, "periods", run=run)["period"].tolist()


def run_periods(con: duckdb.DuckDBPyConnection, run: int) -> pd.DataFrame:
    """period, kind, complete, quarters: each period of the run in the order of periods().
    A run computed before years existed has quarters only, each taken as complete."""
    if published(con, "run_periods"):
        return frame(con, "run_periods", run=run)
    labels = periods(con, run)
    return pd.DataFrame({"period": labels, "kind": QUARTER, "complete": True, "quarters": 1})


def previous(labels: list[str], period: str) -> str | None:
    """The period before `period` of the same kind among the run's periods `labels` (the
    quarter before a quarter, the year before a year; None for the first)."""
    same = [p for p in labels if kind(p) == kind(period)]
    at = same.index(period)
    return same[at - 1] if at > 0 else None


def quarters_of(labels: list[str], year: str) -> list[str]:
    """The run's quarters of a year, oldest first."""
    return [p for p in labels if kind(p) == QUARTER and p.startswith(year)]

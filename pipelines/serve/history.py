"""Histories across periods read each period from its own run: in an official view a unit's
(or a level's, or a member's) past periods are each period's official result (published or on
notice; serve.runs), not the rows the current period's run happens to hold for them. The
periods and their runs come as (period, run) pairs, read in one query each (a join on the
pairs), so a history of twenty quarters from five runs is still one read."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from pipelines.serve.periods import QUARTER
from pipelines.serve.query import frame

Pairs = tuple[tuple[str, int], ...]  # (period, run): the run each period is read from


def _lists(pairs: Iterable[tuple[str, int]]) -> dict[str, list]:
    pairs = list(pairs)
    return {"periods": [str(p) for p, _ in pairs], "runs": [int(r) for _, r in pairs]}


def unit(con: duckdb.DuckDBPyConnection, pairs: Pairs, level: str, unit: str, kind: str = QUARTER) -> pd.DataFrame:
    """A unit's scores, grade, ranks and lists in each of the pairs' periods of one kind (quarters
    or years), each from its run; the columns of units.history, oldest first."""
    return frame(con, "unit_history_official", level=level, unit=unit, kind=kind, **_lists(pairs))


def level(
    con: duckdb.DuckDBPyConnection, pairs: Pairs, level: str, scope: str = "", kind: str = QUARTER
) -> pd.DataFrame:
    """Every unit of a level within the scope in each of the pairs' periods of one kind, each
    from its run: the columns of units.level_history."""
    return frame(con, "level_history_official", level=level, scope=scope, kind=kind, **_lists(pairs))


def member(con: duckdb.DuckDBPyConnection, pairs: Pairs, member: int, scope: str = "") -> pd.DataFrame:
    """One member's periods among the pairs' (quarters, then years), each from its run: the
    columns of members.history."""
    return frame(con, "member_history_official", member=member, scope=scope, **_lists(pairs))

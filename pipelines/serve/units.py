"""Units' published results and records: a level's ranking, a unit's history, warnings,
indicator values, and the records (members, services, demands) of a unit's grids.

`scope` is "" (the whole city) or a unit path; these functions apply the scope they are given
(callers narrow it: the dashboard to the viewer, the command line to --scope). A unit is
(`level`, `unit`): "city"/"全市", a district/street/community path, or a grid id.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.serve.periods import QUARTER, span
from pipelines.serve.query import frame, published


def scores(
    con: duckdb.DuckDBPyConnection,
    run: int,
    period: str,
    level: str,
    scope: str = "",
    previous: str | None = None,
) -> pd.DataFrame:
    """Every unit of a level in a quarter within the scope, ranked (unranked units last), with
    `prev_composite` and `prev_grade` of the quarter `previous` (None: empty) and its `path`.
    Ranks are the published ranks of the whole level: a scope shows its rows, it does not
    re-rank."""
    return frame(con, "unit_scores", run=run, period=period, level=level, scope=scope, previous=previous)


def history(con: duckdb.DuckDBPyConnection, run: int, level: str, unit: str, kind: str = QUARTER) -> pd.DataFrame:
    """A unit's scores, grade, ranks and lists in every quarter (or every year: `kind`) of the
    run, oldest first."""
    return frame(con, "unit_history", run=run, level=level, unit=unit, kind=kind)


def level_history(
    con: duckdb.DuckDBPyConnection, run: int, level: str, scope: str = "", kind: str = QUARTER
) -> pd.DataFrame:
    """Every unit of a level within the scope in every quarter (or every year: `kind`):
    scores, grade, composite rank."""
    return frame(con, "level_history", run=run, level=level, scope=scope, kind=kind)


def adjustments(
    con: duckdb.DuckDBPyConnection,
    run: int,
    scope: str = "",
    period: str | None = None,
    level: str | None = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """The adjustments (加分, 扣分, 一票否决) the run applied within the scope, of a period,
    level and unit or all (None): kind, points, reason, evidence, who entered and approved
    them. Empty for a run computed before adjustments existed."""
    if not published(con, "run_adjustments"):
        return frame(con, "run_adjustments_none")
    return frame(con, "run_adjustments", run=run, scope=scope, period=period, level=level, unit=unit)


def warnings(con: duckdb.DuckDBPyConnection, run: int, period: str, level: str, scope: str = "") -> pd.DataFrame | None:
    """Units within the scope with an early warning this quarter (composite down two quarters
    running, or a yellow card); None when the published results predate the warnings view."""
    if not published(con, "unit_warnings"):
        return None
    return frame(con, "unit_warnings", run=run, period=period, level=level, scope=scope)


def peer_classes(con: duckdb.DuckDBPyConnection, run: int) -> list[str]:
    """The grid types that grids are ranked within."""
    return frame(con, "peer_classes", run=run)["peer_class"].tolist()


def indicator_values(con: duckdb.DuckDBPyConnection, run: int, period: str, level: str) -> pd.DataFrame:
    """The raw value (F1) and 0–100 score (F1_score) of every indicator of every unit of a
    level in a quarter, as the run scored them (by period and unit_id); for a year, of each of
    its quarters (the year itself has no indicator values: its indices are quarterly means)."""
    return frame(con, "indicator_values", run=run, period=period, level=level)


def responsible(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """unit_id, organisation: who answers for each grid (its branch) or community (its
    committee); empty for the levels above."""
    return frame(con, "responsible", level=level)


def scope_tree(con: duckdb.DuckDBPyConnection, scope: str = "") -> pd.DataFrame:
    """District, street and community of every community within the scope that has grids."""
    return frame(con, "scope_tree", scope=scope)


def grid_places(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each grid's place: its community's path."""
    rows = frame(con, "grid_places")
    return dict(zip(rows["grid_id"], rows["path"], strict=True))


def counts(con: duckdb.DuckDBPyConnection, run: int, period: str, level: str, unit: str) -> dict[str, int]:
    """A unit's grids, and its counted members, services and demands of a quarter."""
    q = span(period)
    row = frame(con, "unit_counts", run=run, level=level, unit=unit, pkey=q.key, start=q.start, end=q.end).iloc[0]
    return {k: int(v) for k, v in row.items()}


def tiers(con: duckdb.DuckDBPyConnection, run: int, period: str, level: str, unit: str) -> pd.DataFrame:
    """How many of a unit's counted members are in each tier in a quarter (every tier listed)."""
    return frame(con, "unit_tiers", run=run, pkey=span(period).key, level=level, unit=unit)


def services(con: duckdb.DuckDBPyConnection, period: str, level: str, unit: str, limit: int) -> pd.DataFrame:
    """The latest service records of a unit's grids in a quarter, with the member's latest
    name in clear (the caller masks it) — never an ID number."""
    q = span(period)
    return frame(con, "unit_services", start=q.start, end=q.end, level=level, unit=unit, limit=limit)


def demands(con: duckdb.DuckDBPyConnection, period: str, level: str, unit: str, limit: int) -> pd.DataFrame:
    """The latest resident demands of a unit's grids in a quarter."""
    q = span(period)
    return frame(con, "unit_demands", start=q.start, end=q.end, level=level, unit=unit, limit=limit)

"""正能量值 (methodology v1.2) and the task list as published: reporting organisations' points
and ranks (org_points), a member's points ledger (member_points), an organisation's members and
the communities they serve, a member's recent services and claimed demands, and a unit's tasks
(the records behind F6).

Results computed before v1.2 hold no org_points or member_points, and a warehouse loaded before
v1.1 no tasks: the functions say so (None, or an empty frame) rather than fail. Scopes are
applied as given (callers narrow them); names come in clear (callers mask them).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable

import duckdb
import pandas as pd

from pipelines.serve.periods import span
from pipelines.serve.query import frame, published

Pairs = tuple[tuple[str, int], ...]  # (period, run): the run each period is read from (serve.history)

# The run's points parameters: (name here, key of the methodology's [points], v1.2's default).
PARAMETERS = (
    ("services", "per_service", 2),
    ("hours", "per_hour", 1),
    ("claims", "per_claim", 5),
    ("ratings_5", "per_top_rating", 1),
    ("cap", "quarter_cap", 60),
    ("org_claims", "per_org_claim", 10),
    ("min_members", "min_members", 3),
)
SOURCES = ("services", "hours", "claims", "ratings_5")  # a member's points, in the ledger's order
STATUSES = ("on_time", "late", "open")
TREND_COLUMNS = [
    "period",
    "org_id",
    "members",
    "points",
    "points_per_member",
    "ranked",
    "city_rank",
    "district_rank",
]  # a task as F6 counts it


def _lists(pairs: Iterable[tuple[str, int]]) -> dict[str, list]:
    pairs = list(pairs)
    return {"periods": [str(p) for p, _ in pairs], "runs": [int(r) for _, r in pairs]}


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether the published files hold `table` with `column` (results before v1.2 lack F6)."""
    return bool(frame(con, "published_column", table=table, column=column)["n"].iloc[0])


def has_points(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the results hold 正能量值 (computed with methodology v1.2 or later)."""
    return published(con, "org_points") and published(con, "member_points")


def run_has_points(con: duckdb.DuckDBPyConnection, run: int) -> bool:
    """Whether the run computed 正能量值: the results hold the marts and the run's methodology a
    [points] rule (an older run in a results file migrated to v1.2 has neither rows nor rule)."""
    if not has_points(con):
        return False
    text = frame(con, "points_run_config", run=run)["config_text"]
    return bool(len(text)) and "points" in tomllib.loads(str(text.iloc[0]))


def orgs(con: duckdb.DuckDBPyConnection, run: int, period: str, scope: str = "") -> pd.DataFrame | None:
    """The reporting organisations of the run's period within the scope (in scope: its
    district is, or one of its members' grids is), ranked ones first by city rank, then the
    unranked by 人均: org_id, org_name, district, members, services, hours, claimed_demands,
    points, points_per_member, ranked, city_rank, district_rank. None for a run before v1.2."""
    if not run_has_points(con, run):
        return None
    return frame(con, "points_orgs", run=run, period=period, pkey=span(period).key, scope=scope)


def org_trend(con: duckdb.DuckDBPyConnection, pairs: Pairs, org_ids: list[str]) -> pd.DataFrame:
    """The organisations `org_ids` in each of the pairs' periods, each from its run: period,
    org_id, members, points, points_per_member, ranked, city_rank, district_rank."""
    if not has_points(con) or not pairs or not org_ids:
        return pd.DataFrame(columns=TREND_COLUMNS)
    return frame(con, "points_org_trend", orgs=[str(o) for o in org_ids], **_lists(pairs))


def org_members(con: duckdb.DuckDBPyConnection, run: int, period: str, org: str, scope: str = "") -> pd.DataFrame:
    """The members reporting to `org` counted in the run's period whose grid lies within the
    scope, most points first: member_no, name (in clear), grid_id, grid_name, community,
    services, hours, claims, ratings_5, points, points_ytd, tier."""
    return frame(con, "points_org_members", run=run, pkey=span(period).key, org=org, scope=scope)


def org_communities(con: duckdb.DuckDBPyConnection, run: int, period: str, org: str, scope: str = "") -> pd.DataFrame:
    """The communities within the scope where `org`'s reported members served in the period,
    or where demands it claimed were resolved: community (path), members, services, hours,
    claimed_demands."""
    q = span(period)
    return frame(con, "points_org_communities", run=run, pkey=q.key, org=org, start=q.start, end=q.end, scope=scope)


def member_ledger(con: duckdb.DuckDBPyConnection, pairs: Pairs, member: int, scope: str = "") -> pd.DataFrame | None:
    """One member's 正能量值 in each of the pairs' periods (quarters, then years), each from its
    run: period, grid_id, reporting_org_id, reporting_org, services, hours, claims, ratings_5,
    points_raw (before the cap), points, points_ytd, tier. None before v1.2."""
    if not published(con, "member_points"):
        return None
    return frame(con, "points_member_ledger", member=member, scope=scope, **_lists(pairs))


def rates(config_text: str) -> dict[str, float]:
    """Points per unit of each source (services, hours, claims, ratings_5), the quarterly cap
    (`cap`), an organisation's points per claimed demand (`org_claims`) and the reported members
    it needs to be ranked (`min_members`), as the `[points]` of the run's methodology (its
    recorded text) sets them; v1.2's defaults where it names none."""
    table = tomllib.loads(config_text).get("points", {})
    return {name: float(table.get(key, default)) for name, key, default in PARAMETERS}


def ledger_by_source(ledger: pd.DataFrame, rate: dict[str, float]) -> pd.DataFrame:
    """The ledger with each source's points (count × its rate: `<source>_points`) beside its
    count, and what the quarterly cap took off (`capped_off`: points before the cap − after)."""
    out = ledger.copy()
    for column in SOURCES:
        out[f"{column}_points"] = out[column].astype(float) * rate[column]
    out["capped_off"] = (out["points_raw"].astype(float) - out["points"].astype(float)).clip(lower=0)
    return out


def member_services(
    con: duckdb.DuckDBPyConnection, member: int, period: str, scope: str = "", limit: int = 10
) -> pd.DataFrame:
    """A member's latest services up to the period's end, in grids within the scope: service_date,
    grid_id, grid_name, category, hours, rating, description (never an ID number)."""
    return frame(con, "points_member_services", member=member, end=span(period).end, scope=scope, limit=limit)


def member_demands(
    con: duckdb.DuckDBPyConnection, member: int, period: str, scope: str = "", limit: int = 10
) -> pd.DataFrame:
    """The latest demands a member claimed, reported up to the period's end in grids within the
    scope: ticket_id, reported_at, grid_id, grid_name, category, resolved_at, resolved_level,
    satisfaction."""
    return frame(con, "points_member_demands", member=member, end=span(period).end, scope=scope, limit=limit)


def unit_tasks(con: duckdb.DuckDBPyConnection, period: str, level: str, unit: str) -> pd.DataFrame | None:
    """The tasks of the unit's grid organisations due in the period, each on_time, late or open
    (as F6 counts them); None when the warehouse holds no task list."""
    if not published(con, "tasks"):
        return None
    q = span(period)
    return frame(con, "tasks_unit", start=q.start, end=q.end, level=level, unit=unit)

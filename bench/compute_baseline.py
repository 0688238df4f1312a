"""The compute benchmark's baseline: the engine's reading of the warehouse and nothing more.

Every table the index computation reads, scanned once per grain it aggregates at (services
per grid and quarter and per member and quarter, demands per grid and quarter and per
claiming member, meetings per branch, type and quarter, tasks per organisation and quarter,
the rosters per snapshot and grid), into temporary tables: DuckDB group-bys over the same
columns, with no scoring, ranking, joining or writing. Round one's baseline scanned the
services alone (2 of the ~40 columns the engine reads); bench.run reports that ratio too.

Usage: python -m bench.compute_baseline WAREHOUSE [--services-only]
"""

from __future__ import annotations

import sys

import duckdb

QUARTER = "year({0}) * 10 + quarter({0})"

# Round one's baseline: one group-by of the services.
SERVICES_ONLY = (
    "SELECT grid_id, date_trunc('quarter', service_date) AS q, count(*), sum(hours) FROM services GROUP BY ALL",
)

ENGINE_READING = (
    f"SELECT grid_id, {QUARTER.format('service_date')} AS q, count(*), count(rating), sum(rating) "
    "FROM services GROUP BY ALL",
    f"SELECT member_no, {QUARTER.format('service_date')} AS q, count(*), sum(hours), count(rating), sum(rating) "
    "FROM services GROUP BY ALL",
    f"SELECT grid_id, {QUARTER.format('reported_at')} AS q, count(*), count(resolved_at), count(satisfaction), "
    "sum(satisfaction) FROM demands GROUP BY ALL",
    f"SELECT claimed_by_no, claimed_by_org, {QUARTER.format('resolved_at')} AS q, count(*) FROM demands GROUP BY ALL",
    f"SELECT org_id, meeting_type, {QUARTER.format('meeting_date')} AS q, count(*), sum(attended), sum(expected) "
    "FROM meetings GROUP BY ALL",
    f"SELECT org_id, {QUARTER.format('due_date')} AS q, count(*), count(completed_date) FROM tasks GROUP BY ALL",
    "SELECT as_of, grid_no, status, reporting_org_id, count(*) FROM members GROUP BY ALL",
)


def main(argv: list[str]) -> None:
    queries = SERVICES_ONLY if "--services-only" in argv else ENGINE_READING
    con = duckdb.connect(argv[0], read_only=True)
    for i, sql in enumerate(queries):
        con.execute(f"CREATE TEMP TABLE scan_{i} AS {sql}")
    con.close()


if __name__ == "__main__":
    main(sys.argv[1:])

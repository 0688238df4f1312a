"""Domain SQL: raw indicator values per unit and period, and members' vanguard scores, from
the published marts and a methodology's parameters (pipelines/sql/indices/). Members are
scored by the composite engine with the methodology's member tree.

Data contract v1.1's additions are optional in a warehouse (one loaded before has no task list,
no members.reporting_org_id, no demands.claimed_by_org): the SQL then reads an empty relation
or NULL in their place (sources()), so F6 is missing everywhere and nobody is linked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.duck import Beside, sibling
from pipelines.engine.composite import compile_tree, ident
from pipelines.engine.marts import MARTS
from pipelines.engine.methodology import MEMBER_SCORE, Methodology

SQL = Path(__file__).resolve().parent.parent / "sql" / "indices"
DATA_QUARTERS = SQL / "data_quarters.sql"  # the quarters the data covers (the register reads it too)
STEPS = [
    "int_periods",
    "int_unit_grids",
    "int_grid_records",  # on a second connection, beside the member steps
    "int_period_rosters",
    "int_member_values",
    "int_member_scores",
    "int_indicator_wide",
    "int_indicator_values",
]
# Scores are compared with cut-offs allowing this much floating-point rounding: a member whose
# score is 80 by hand (e.g. 35 + 20 + 12.5 + 12.5) is 先锋 even if the sum comes out 79.99999999999999.
CUT_TOLERANCE = 1e-9


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parameters(m: Methodology) -> dict[str, str]:
    """Template values for the SQL, from the methodology (numbers only, and quoted names)."""
    p = m.parameters
    excellent = m.vanguard_tier.min - CUT_TOLERANCE  # V6: the share at this tier or above
    return {
        "required_meetings": ", ".join(f"({_literal(k)}, {int(v)})" for k, v in p.required_meetings),
        "on_time_hours": repr(float(p.on_time_hours)),
        "rating_prior_mean": repr(float(p.member_rating_prior_mean)),
        "rating_prior_weight": repr(float(p.member_rating_prior_weight)),
        "satisfaction_prior_mean": repr(float(p.satisfaction_prior_mean)),
        "satisfaction_prior_weight": repr(float(p.satisfaction_prior_weight)),
        "vanguard_excellent": repr(float(excellent)),
    }


def tier_case(m: Methodology, column: str = "score") -> str:
    """The tier's position in the methodology's list (0 = the top tier) for a score."""
    tiers = m.member_tiers
    whens = " ".join(f"WHEN {column} >= {float(x.min) - CUT_TOLERANCE!r} THEN {i}" for i, x in enumerate(tiers[:-1]))
    return f"CASE {whens} ELSE {len(tiers) - 1} END"


def run_tiers(m: Methodology, run_id: int) -> str:
    return ", ".join(
        f"({int(run_id)}, {i}, {_literal(x.name)}, {float(x.min)!r})" for i, x in enumerate(m.member_tiers)
    )


def _binds(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    # Binding a column is a cheap test (as compute's warehouse check).
    try:
        con.execute(f"SELECT {column} FROM {table} LIMIT 0")
    except (duckdb.BinderException, duckdb.CatalogException):
        return False
    return True


def sources(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """What the SQL reads for data contract v1.1's optional parts: the task list (`tasks`), a
    roster row's reporting organisation (`reporting_org`, over the roster alias m) and the
    demands organisations claimed (`org_claims`); an empty relation, or NULL, where the
    warehouse lacks them."""
    has_tasks = all(_binds(con, "tasks", c) for c in ("org_id", "due_date", "completed_date"))
    has_claims = _binds(con, "demands", "claimed_by_org")
    return {
        "tasks": "tasks"
        if has_tasks
        else "(SELECT NULL::VARCHAR AS org_id, NULL::DATE AS due_date, NULL::DATE AS completed_date LIMIT 0)",
        "reporting_org": "m.reporting_org_id" if _binds(con, "members", "reporting_org_id") else "NULL::VARCHAR",
        "org_claims": "(SELECT claimed_by_org, resolved_at FROM demands)"
        if has_claims
        else "(SELECT NULL::VARCHAR AS claimed_by_org, NULL::TIMESTAMP AS resolved_at LIMIT 0)",
    }


def compute_raw(
    con: duckdb.DuckDBPyConnection,
    m: Methodology,
    run_id: int,
    members_ready: Callable[[], object] | None = None,
    marts_ready: bool = False,
) -> dict[str, str]:
    """Build int_periods … int_indicator_wide/values as temp tables; work.int_member_rows holds
    the member_scores mart's rows for `run_id` (int_member_scores shows them with labels) and
    the view int_member_points the member_points mart's (points.member_select); members_ready
    is called as soon as they are there. marts_ready: the caller has created the marts (MARTS)
    on `con` already. Returns sources(con), which the organisations' points read too."""
    from pipelines.engine import points  # it reads this module's tolerance

    if not marts_ready:
        con.execute(MARTS)
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS work")
    found = sources(con)
    values = (
        parameters(m)
        | found
        | {
            "top_rating": repr(float(m.points.top_rating)),
            "run_id": str(int(run_id)),
            "member_tree": compile_tree(
                m.member_tree(),
                "int_member_values",
                keys=("pkey", "member_no", "grid_no"),
                carry=("s", "h", "c", "r_bar", "r5", "reporting_org_id"),
            ),
            "member_score": ident(MEMBER_SCORE),
            "tier_case": tier_case(m, ident(MEMBER_SCORE)),
            "run_tiers": run_tiers(m, run_id),
            "data_quarters": DATA_QUARTERS.read_text(encoding="utf-8"),
        }
    )
    beside = sibling(con)
    grid_records = None
    for step in STEPS:
        sql = (SQL / f"{step}.sql").read_text(encoding="utf-8").format(**values)
        if step == "int_grid_records":
            grid_records = Beside(beside.execute, sql)
            continue
        if step == "int_indicator_wide":
            grid_records.result()
            beside.close()
        con.execute(sql)
        if step == "int_member_scores" and members_ready is not None:
            members_ready()
    con.execute(f"CREATE OR REPLACE TEMP VIEW int_member_points AS {points.member_select(m)}")
    return found

"""Domain SQL: raw indicator values per unit and period, and members' vanguard scores, from
the published marts and a methodology's parameters (pipelines/sql/indices/). Members are
scored by the composite engine with the methodology's member tree."""

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


def compute_raw(
    con: duckdb.DuckDBPyConnection,
    m: Methodology,
    run_id: int,
    members_ready: Callable[[], object] | None = None,
    marts_ready: bool = False,
) -> None:
    """Build int_periods … int_indicator_wide/values as temp tables; work.int_member_rows holds
    the member_scores mart's rows for `run_id` (int_member_scores shows them with labels);
    members_ready is called as soon as they are there. marts_ready: the caller has created
    the marts (MARTS) on `con` already."""
    if not marts_ready:
        con.execute(MARTS)
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS work")
    values = parameters(m) | {
        "run_id": str(int(run_id)),
        "member_tree": compile_tree(
            m.member_tree(),
            "int_member_values",
            keys=("pkey", "member_no", "grid_no"),
            carry=("s", "h", "c", "r_bar"),
        ),
        "member_score": ident(MEMBER_SCORE),
        "tier_case": tier_case(m, ident(MEMBER_SCORE)),
        "run_tiers": run_tiers(m, run_id),
        "data_quarters": DATA_QUARTERS.read_text(encoding="utf-8"),
    }
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

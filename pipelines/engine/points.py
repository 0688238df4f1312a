"""正能量值 points (methodology v1.2): members' points per quarter (capped) and year (the sum of
the capped quarters, year to date while it runs) with tiers on the year's points, and the
reporting organisations' points, 人均 and ranks. Set-based SQL over the run's member rows
(pipelines/sql/indices/int_member_points.sql, int_org_points.sql) with the [points] numbers."""

from __future__ import annotations

from pathlib import Path

from pipelines.engine.indicators import CUT_TOLERANCE
from pipelines.engine.methodology import Cutoff, Methodology

SQL = Path(__file__).resolve().parent.parent / "sql" / "indices"


def _num(x: float) -> str:
    return f"{float(x)!r}::DOUBLE"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def tier_case(tiers: tuple[Cutoff, ...], column: str) -> str:
    """The tier's name for a number of points: the first, from the top, whose minimum it reaches
    (with the engine's tolerance for floating-point sums)."""
    whens = " ".join(
        f"WHEN {column} >= {_num(float(t.min) - CUT_TOLERANCE)} THEN {_literal(t.name)}" for t in tiers[:-1]
    )
    return f"CASE WHEN {column} IS NULL THEN NULL {whens} ELSE {_literal(tiers[-1].name)} END"


def parameters(m: Methodology) -> dict[str, str]:
    """Template values of the points SQL (numbers only, and quoted names)."""
    p = m.points
    raw = (
        f"({_num(p.per_service)} * services + {_num(p.per_hour)} * hours + {_num(p.per_claim)} * claims"
        f" + {_num(p.per_top_rating)} * ratings_5)"
    )
    return {
        "points_raw": raw,
        "quarter_cap": _num(p.quarter_cap),
        "per_org_claim": _num(p.per_org_claim),
        "min_members": str(int(p.min_members)),
        "tier_case": tier_case(p.tiers, "points_ytd"),
    }


def member_select(m: Methodology) -> str:
    """The member_points mart's rows of the run (a SELECT over work.int_member_rows)."""
    return (SQL / "int_member_points.sql").read_text(encoding="utf-8").format(**parameters(m))


def org_points(con, m: Methodology, org_claims: str) -> None:
    """int_org_points (period, org_id, … district_rank: org_points' columns but run_id) from the
    run's member rows; org_claims: the demands with claimed_by_org and resolved_at (or an empty
    relation with these columns)."""
    sql = (SQL / "int_org_points.sql").read_text(encoding="utf-8")
    con.execute(sql.format(org_claims=org_claims, **parameters(m)))

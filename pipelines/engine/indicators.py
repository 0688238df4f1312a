"""Domain SQL: raw indicator values per unit and period, and members' vanguard scores, from
the published marts and a methodology's parameters (pipelines/sql/indices/)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.engine.methodology import Methodology

SQL = Path(__file__).resolve().parent.parent / "sql" / "indices"
STEPS = ["int_periods", "int_unit_grids", "int_period_rosters", "int_member_scores", "int_indicator_values"]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parameters(m: Methodology) -> dict[str, str]:
    """Template values for the SQL, from the methodology (numbers only, and quoted names)."""
    p = m.config["parameters"]
    comps = {c["code"]: c for c in m.config["member_components"]}
    excellent = next(t["min"] for t in m.config["member_tiers"] if t["name"] == "优秀")
    return {
        "required_meetings": ", ".join(f"({_literal(k)}, {int(v)})" for k, v in p["required_meetings"].items()),
        "on_time_hours": repr(float(p["on_time_hours"])),
        "rating_prior_mean": repr(float(p["member_rating_prior_mean"])),
        "rating_prior_weight": repr(float(p["member_rating_prior_weight"])),
        "satisfaction_prior_mean": repr(float(p["satisfaction_prior_mean"])),
        "satisfaction_prior_weight": repr(float(p["satisfaction_prior_weight"])),
        "vanguard_excellent": repr(float(excellent)),
        **{f"v{i}_w": repr(float(comps[f"V{i}"]["weight"])) for i in range(1, 5)},
        **{f"v{i}_full": repr(float(comps[f"V{i}"]["full_at"])) for i in range(1, 4)},
        "v4_lo": repr(float(comps["V4"]["lo"])),
        "v4_hi": repr(float(comps["V4"]["hi"])),
    }


def compute_raw(con: duckdb.DuckDBPyConnection, m: Methodology) -> None:
    """Build int_periods … int_indicator_values and int_member_scores as temp tables."""
    values = parameters(m)
    for step in STEPS:
        con.execute((SQL / f"{step}.sql").read_text(encoding="utf-8").format(**values))

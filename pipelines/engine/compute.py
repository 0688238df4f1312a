"""`python -m pipelines compute`: indicators → indices → grades, ranks, lists, rank intervals,
member scores; written into the published database under a new run id with the run record
(methodology hash and text, data snapshot), so a published quarter can be shown again as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb

from pipelines.duck import scalar
from pipelines.engine import indicators, intervals
from pipelines.engine.composite import score
from pipelines.engine.methodology import Methodology
from pipelines.publish import publishing

SQL = Path(__file__).resolve().parent.parent / "sql" / "indices"
MARTS = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, computed_at TIMESTAMP, methodology_version VARCHAR, config_hash VARCHAR,
    config_text VARCHAR, data_batch INTEGER, data_files VARCHAR, data_digest VARCHAR);
CREATE TABLE IF NOT EXISTS unit_scores (
    run_id INTEGER, period VARCHAR, level VARCHAR, unit_id VARCHAR, unit_name VARCHAR, peer_class VARCHAR,
    fortress DOUBLE, vanguard DOUBLE, service DOUBLE, composite DOUBLE, satisfaction DOUBLE, grade VARCHAR,
    fortress_rank INTEGER, vanguard_rank INTEGER, service_rank INTEGER, composite_rank INTEGER, peer_rank INTEGER,
    ranked_units INTEGER, rank_change INTEGER, list VARCHAR, yellow_card BOOLEAN, rank_q05 INTEGER, rank_q95 INTEGER);
CREATE TABLE IF NOT EXISTS indicator_scores (
    run_id INTEGER, period VARCHAR, level VARCHAR, unit_id VARCHAR, code VARCHAR, value DOUBLE, score DOUBLE);
CREATE TABLE IF NOT EXISTS member_scores (
    run_id INTEGER, period VARCHAR, member_key VARCHAR, grid_id VARCHAR, services INTEGER, hours DOUBLE,
    claims INTEGER, rating DOUBLE, score DOUBLE, tier VARCHAR);
"""


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def mart_parameters(m: Methodology) -> dict[str, str]:
    c = m.config
    grades = c["grades"]
    grade_case = "CASE WHEN composite IS NULL THEN NULL " + " ".join(
        f"WHEN composite >= {float(g['min'])!r} THEN {_q(g['name'])}" for g in grades[:-1]
    )
    grade_case += f" ELSE {_q(grades[-1]['name'])} END"
    return {
        "grade_case": grade_case,
        "grade_order": "pbi_grade_order",
        "cap_below": repr(float(c["cap_rule"]["satisfaction_below"])),
        "cap_grade": _q(c["cap_rule"]["max_grade"]),
        "min_units": str(int(c["lists"]["min_ranked_units"])),
        "red_share": repr(float(c["lists"]["red_share"])),
        "black_share": repr(float(c["lists"]["black_share"])),
        "yellow_drop": repr(float(c["yellow_card"]["composite_drop"])),
        "yellow_grade": _q(c["yellow_card"]["repeat_grade"]),
    }


def grade_order_macro(m: Methodology) -> str:
    cases = " ".join(f"WHEN {_q(g['name'])} THEN {i}" for i, g in enumerate(m.config["grades"]))
    return f"CREATE OR REPLACE TEMP MACRO pbi_grade_order(g) AS CASE g {cases} END"


def compute_into(con: duckdb.DuckDBPyConnection, m: Methodology) -> int:
    """Compute every period and level from the marts on `con`; returns the new run id."""
    con.execute(MARTS)
    indicators.compute_raw(con, m)
    _sql(con, "int_engine_values.sql")
    nodes = m.tree()
    score(con, "int_engine_values", nodes)
    _sql(con, "int_index_scores.sql")
    con.execute(grade_order_macro(m))
    _sql(con, "mart_unit_scores.sql", **mart_parameters(m))
    ind = con.execute("""SELECT split_part(grp, '|', 1) AS period, split_part(unit, '|', 1) AS level,
        split_part(unit, '|', 2) AS unit_id, code, score FROM eng_scores WHERE level = 1""").df()
    con.register("_intervals", intervals.rank_intervals(ind, m))
    con.execute("CREATE OR REPLACE TEMP TABLE mart_rank_intervals_new AS SELECT * FROM _intervals")
    con.unregister("_intervals")
    run_id = scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM runs")
    batch, files = _data_snapshot(con)
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, dt.datetime.now(), m.version, m.sha256, m.text, batch, json.dumps(files), _digest(files)],
    )
    con.execute(f"""INSERT INTO unit_scores SELECT {run_id}, u.* EXCLUDE (_x), i.rank_q05, i.rank_q95 FROM
        (SELECT *, 0 AS _x FROM mart_unit_scores_new) u
        LEFT JOIN mart_rank_intervals_new i USING (period, level, unit_id)""")
    con.execute(f"""INSERT INTO indicator_scores
        SELECT {run_id}, v.period, v.level, v.unit_id, v.code, v.value, s.score
        FROM int_indicator_values v LEFT JOIN eng_scores s
            ON s.unit = v.level || '|' || v.unit_id AND s.grp = v.period || '|' || v.level AND s.code = v.code""")
    tiers = " ".join(f"WHEN score >= {float(t['min'])!r} THEN {_q(t['name'])}" for t in m.config["member_tiers"][:-1])
    last = _q(m.config["member_tiers"][-1]["name"])
    con.execute(f"""INSERT INTO member_scores SELECT {run_id}, period, member_key, grid_id, s, h, c, r_bar, score,
        CASE {tiers} ELSE {last} END FROM int_member_scores""")
    return run_id


def _sql(con: duckdb.DuckDBPyConnection, name: str, **fmt: str) -> None:
    text = (SQL / name).read_text(encoding="utf-8")
    con.execute(text.format(**fmt) if fmt else text)


def _data_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[int | None, list[str]]:
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "load_files" not in tables:
        return None, []
    batch = scalar(con, "SELECT max(batch_id) FROM load_batches")
    files = [h for (h,) in con.execute("SELECT content_hash FROM load_files ORDER BY file_id").fetchall()]
    return batch, files


def _digest(files: list[str]) -> str:
    return hashlib.sha256("\n".join(files).encode()).hexdigest()


def compute(db: Path, m: Methodology) -> int:
    with publishing(db) as building:
        con = duckdb.connect(str(building))
        try:
            run_id = compute_into(con, m)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return run_id

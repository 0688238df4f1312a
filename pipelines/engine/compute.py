"""`python -m pipelines compute`: indicators → indices → grades, ranks, lists, rank intervals,
member scores; written into the published database under a new run id with the run record
(methodology hash and text, data snapshot), so a published quarter can be shown again as it was."""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import importlib
import json
from pathlib import Path

import duckdb

from pipelines.duck import Beside, scalar
from pipelines.engine import indicators
from pipelines.engine.composite import ident, score_wide
from pipelines.engine.indicators import CUT_TOLERANCE
from pipelines.engine.marts import INDICATORS, MARTS
from pipelines.engine.methodology import Methodology
from pipelines.engine.scores_db import attach, scores_path
from pipelines.publish import publishing
from pipelines.vocabulary import BLACK_LIST, COMPOSITE, RED_LIST

SQL = Path(__file__).resolve().parent.parent / "sql" / "indices"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def mart_parameters(m: Methodology) -> dict[str, str]:
    grades = m.grades
    grade_case = "CASE WHEN composite IS NULL THEN NULL " + " ".join(
        f"WHEN composite >= {float(g.min) - CUT_TOLERANCE!r} THEN {_q(g.name)}" for g in grades[:-1]
    )
    grade_case += f" ELSE {_q(grades[-1].name)} END"
    return {
        "grade_case": grade_case,
        "grade_order": "pbi_grade_order",
        "cap_below": repr(float(m.cap_rule.satisfaction_below) - CUT_TOLERANCE),
        "cap_grade": _q(m.cap_rule.max_grade),
        "min_units": str(int(m.lists.min_ranked_units)),
        "red_share": repr(float(m.lists.red_share)),
        "black_share": repr(float(m.lists.black_share)),
        "red_list": _q(RED_LIST),
        "black_list": _q(BLACK_LIST),
        "yellow_drop": repr(float(m.yellow_card.composite_drop)),
        "yellow_grade": _q(m.yellow_card.repeat_grade),
    }


def grade_order_macro(m: Methodology) -> str:
    cases = " ".join(f"WHEN {_q(g.name)} THEN {i}" for i, g in enumerate(m.grades))
    return f"CREATE OR REPLACE TEMP MACRO pbi_grade_order(g) AS CASE g {cases} END"


def compute_into(con: duckdb.DuckDBPyConnection, m: Methodology) -> int:
    """Compute every period and level from the marts on `con`; returns the new run id."""
    con.execute(MARTS)
    run_id = scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM runs")
    batch, files = _data_snapshot(con)
    nodes = m.tree()
    keys, group = ("period", "level", "unit_id"), ("period", "level")
    # DuckDB releases the GIL while it works: NumPy is imported, and the rank intervals
    # drawn, beside the SQL.
    numpy_side = Beside(importlib.import_module, "pipelines.engine.intervals")
    # The member rows are written to the mart by a second connection while this one goes on.
    writer = con.cursor()
    mart = f"{ident(scalar(con, 'SELECT current_database()'))}.main.member_scores"
    written: list[Beside] = []
    indicators.compute_raw(
        con,
        m,
        run_id,
        members_ready=lambda: written.append(
            Beside(writer.execute, f"INSERT INTO {mart} SELECT * FROM work.int_member_rows")
        ),
    )
    score_wide(con, "int_indicator_wide", nodes, keys, group=group, into="int_unit_engine")
    intervals = numpy_side.result()
    scores, groups = intervals.fetch(con, "int_unit_engine", nodes, group)
    drawn = Beside(intervals.rank_intervals, nodes, scores, groups, COMPOSITE, m.rank_intervals)
    _sql(con, "int_index_scores.sql")
    con.execute(grade_order_macro(m))
    _sql(con, "mart_unit_scores.sql", **mart_parameters(m))
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, dt.datetime.now(), m.version, m.sha256, m.text, batch, json.dumps(files), _digest(files)],
    )
    scored = {n.code for n in nodes if n.level == 1}
    columns = ", ".join(f"w.{c}, {'e.' + ident(c) if c in scored else 'NULL'}" for c in INDICATORS)
    con.execute(f"""INSERT INTO indicator_scores
        SELECT {run_id}, period, level, unit_id, {columns}
        FROM int_indicator_wide w JOIN int_unit_engine e USING (period, level, unit_id)""")
    written[0].result()
    writer.close()
    con.execute("CHECKPOINT")  # most of the writing, while the draws may still run
    intervals.store(con, keys, drawn.result())
    con.execute(f"""INSERT INTO unit_scores SELECT {run_id}, u.* EXCLUDE (_x), i.rank_q05, i.rank_q95 FROM
        (SELECT *, 0 AS _x FROM mart_unit_scores_new) u
        LEFT JOIN int_rank_intervals i USING (period, level, unit_id)""")
    return run_id


def _sql(con: duckdb.DuckDBPyConnection, name: str, **fmt: str) -> None:
    text = (SQL / name).read_text(encoding="utf-8")
    con.execute(text.format(**fmt) if fmt else text)


def _data_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[int | None, list[str]]:
    try:
        batch = scalar(con, "SELECT max(batch_id) FROM load_batches")
    except duckdb.CatalogException:  # not loaded by the loader (tests build tables by hand)
        return None, []
    files = [h for (h,) in con.execute("SELECT content_hash FROM load_files ORDER BY file_id").fetchall()]
    return batch, files


def _digest(files: list[str]) -> str:
    return hashlib.sha256("\n".join(files).encode()).hexdigest()


class StaleWarehouse(RuntimeError):
    """The warehouse was loaded by a version without what the engine reads."""


def _check_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    needed = {("services", "member_no"), ("demands", "claimed_by_no"), ("members", "member_no"), ("members", "grid_no")}
    present = set(
        con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'warehouse'").fetchall()
    )
    if missing := needed - present:
        raise StaleWarehouse(", ".join(f"{t}.{c}" for t, c in sorted(missing)) + " missing")


def keep_freed_memory() -> None:
    """Let glibc keep large freed blocks instead of unmapping them at once. The rank-interval
    draws allocate many short-lived arrays of a few MB; returned to the OS each time, every
    one page-faults anew (about 40% of the draws' time on the benchmark machine)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 512 << 20)
    libc.mallopt(m_trim_threshold, 1 << 30)


def compute(db: Path, m: Methodology) -> int:
    """Compute from the warehouse `db` into its results database (scores_path(db)), published
    atomically; returns the run id."""
    keep_freed_memory()
    with publishing(scores_path(db)) as building:
        # Nothing here depends on the order rows are inserted in; without it DuckDB writes in parallel.
        con = attach(building, db, read_only=False, preserve_insertion_order=False)
        try:
            _check_warehouse(con)
            run_id = compute_into(con, m)
            con.execute("CHECKPOINT scores")
        finally:
            con.close()
    return run_id

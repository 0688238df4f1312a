"""`python -m pipelines compute`: indicators → indices → grades, ranks, lists, rank intervals,
member scores; written into the published database under a new run id with the run record
(methodology hash and text, data snapshot), so a published quarter can be shown again as it was.

Methodology v1.1: every quarter and every year (the means of its quarterly indices), the
approved adjustments applied (and copied into run_adjustments, so the run reproduces after a
revocation), grade quotas, and the run's periods (run_periods: whether each was over when the
run was computed; a year still running is 年度累计).

Methodology v1.2: F6 among the indicators, and the 正能量值 points — member_points written
beside by the member rows' connection, org_points by this one (pipelines/engine/points.py)."""

from __future__ import annotations

import concurrent.futures
import ctypes
import datetime as dt
import hashlib
import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.duck import Beside, scalar
from pipelines.engine import indicators, points
from pipelines.engine.composite import aggregate_expr, ident, score_wide
from pipelines.engine.indicators import CUT_TOLERANCE
from pipelines.engine.marts import ADJUSTMENT_COLUMNS, INDICATORS, MARTS
from pipelines.engine.methodology import Methodology
from pipelines.engine.scores_db import attach, scores_path
from pipelines.publish import publishing
from pipelines.vocabulary import BLACK_LIST, BONUS, COMPOSITE, DEDUCTION, INDICES, RED_LIST, VETO

if TYPE_CHECKING:  # pandas is imported by callers that pass frames (tests); compute itself needs none
    import numpy as np  # imported beside the SQL (compute_into), not before it
    import pandas as pd

SQL = Path(__file__).resolve().parent.parent / "sql" / "indices"
CHINA = dt.timezone(dt.timedelta(hours=8))  # no daylight saving: a fixed offset is exact


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
        "lowest_grade": _q(m.lowest_grade),
    }


def adjustment_parameters(m: Methodology) -> dict[str, str]:
    return {
        "bonus": _q(BONUS),
        "deduction": _q(DEDUCTION),
        "veto": _q(VETO),
        "max_bonus": repr(float(m.adjustments.max_bonus)),
        "max_deduction": repr(float(m.adjustments.max_deduction)),
    }


def year_parameters(
    m: Methodology, nodes: list | None = None, engine: str = "int_unit_engine", keys: str = "level, unit_id"
) -> dict[str, str]:
    """int_year_engine.sql's values: each index's mean over the quarters present (if enough),
    and the composite node's own rule over these means (`nodes`: the tree, by default the
    methodology's; the what-if passes its edited one)."""
    need = int(m.years.min_quarters)
    means = ", ".join(
        f"CASE WHEN count({ident(c)}) >= {need} THEN sum({ident(c)} ORDER BY period) / count({ident(c)}) END "
        f"AS {ident(c)}"
        for c in INDICES
    )
    return {
        "min_quarters": str(need),
        "engine": engine,
        "keys": keys,
        "means": means,
        "composite": aggregate_expr(nodes or m.tree(), COMPOSITE),
    }


def set_adjustments(con: duckdb.DuckDBPyConnection, m: Methodology, entries: pd.DataFrame | list[tuple] | None) -> None:
    """The entries the run applies as the temp table int_adjustment_entries (the columns of
    run_adjustments but run_id, as a frame or as rows in that order), and their totals per
    unit and period (int_adjustment_totals). One table in, set-based from there: no loop over units."""
    columns = ", ".join(f"{ident(c)} {t}" for c, t in ADJUSTMENT_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE int_adjustment_entries ({columns})")
    if isinstance(entries, list):  # rows as the register gives them: one statement, a list per column
        if entries:
            lists = ", ".join(
                f"unnest(${i + 1}::{t}[]) AS {ident(c)}" for i, (c, t) in enumerate(ADJUSTMENT_COLUMNS.items())
            )
            con.execute(
                f"INSERT INTO int_adjustment_entries SELECT {lists}", [list(c) for c in zip(*entries, strict=True)]
            )
    elif entries is not None and len(entries):  # a frame (tests, the what-if)
        con.register("_adjustment_frame", entries[list(ADJUSTMENT_COLUMNS)])
        con.execute("INSERT INTO int_adjustment_entries SELECT * FROM _adjustment_frame")
        con.unregister("_adjustment_frame")
    _sql(con, "int_adjustments.sql", **adjustment_parameters(m))


def unit_marts(con: duckdb.DuckDBPyConnection, m: Methodology) -> None:
    """int_index_scores (quarters and years) and int_adjustment_totals → mart_unit_scores_new:
    the adjusted composite, grades (cap rule, veto), quotas, ranks, rank change, lists and
    yellow cards."""
    con.execute(grade_order_macro(m))
    params = mart_parameters(m)
    _sql(con, "int_adjusted_scores.sql")
    _sql(con, "int_graded_scores.sql", **params)
    names = [g.name for g in m.grades]
    graded = "int_graded_scores"
    for i, (grade, share) in enumerate(m.quotas):  # best grade first: a unit dropped counts in the next quota
        following, into = names[names.index(grade) + 1], f"int_quota_graded_{i}"
        _sql(
            con,
            "int_grade_quotas.sql",
            grade=_q(grade),
            next_grade=_q(following),
            share=repr(float(share)),
            source=graded,
            into=into,
        )
        graded = into
    _sql(con, "mart_unit_scores.sql", graded=graded, **params)


def china_today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def grade_order_macro(m: Methodology) -> str:
    cases = " ".join(f"WHEN {_q(g.name)} THEN {i}" for i, g in enumerate(m.grades))
    return f"CREATE OR REPLACE TEMP MACRO pbi_grade_order(g) AS CASE g {cases} END"


def compute_into(
    con: duckdb.DuckDBPyConnection,
    m: Methodology,
    adjustments: pd.DataFrame | list[tuple] | Beside | None = None,
    as_of: dt.date | None = None,
) -> int:
    """Compute every period (quarters and years) and level from the marts on `con`, applying
    the adjustment entries given; returns the new run id. as_of: the computation date that
    decides which periods are over (default: today in China)."""
    as_of = as_of or china_today()
    con.execute(MARTS)
    run_id = scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM runs")
    batch, files = data_snapshot(con)
    nodes = m.tree()
    keys, group = ("period", "level", "unit_id"), ("period", "level")
    # DuckDB releases the GIL while it works: NumPy is imported, and the rank intervals
    # drawn, beside the SQL.
    numpy_side = Beside(importlib.import_module, "pipelines.engine.intervals")
    # The member rows are written to the mart by a second connection while this one goes on.
    writer = con.cursor()
    database = ident(scalar(con, "SELECT current_database()"))
    mart = f"{database}.main.member_scores"
    member_sql = (
        f"INSERT INTO {mart} {MEMBER_QUARTERS};\nINSERT INTO {mart} {member_years(m)};\n"
        f"INSERT INTO {database}.main.member_points {points.member_select(m)}"
    )
    written: list[Beside] = []
    found = indicators.compute_raw(
        con, m, run_id, members_ready=lambda: written.append(Beside(writer.execute, member_sql)), marts_ready=True
    )
    set_adjustments(con, m, adjustments.result() if isinstance(adjustments, Beside) else adjustments)
    score_wide(con, "int_indicator_wide", nodes, keys, group=group, into="int_unit_engine")
    intervals = numpy_side.result()
    scores, groups = intervals.fetch(con, "int_unit_engine", nodes, group, order=keys)
    # The quarters' draws start at once; the years' inputs follow while they run.
    years: concurrent.futures.Future = concurrent.futures.Future()
    drawn = Beside(_draw, intervals, m, nodes, (scores, groups, *_points(con, "_interval_input")), years)
    year_rows, year_groups = intervals.year_rows(con)
    years.set_result((year_rows, year_groups, *_points(con, "_interval_year_input")))
    _sql(con, "int_year_engine.sql", **year_parameters(m))
    _sql(con, "int_index_scores.sql", **indicators.parameters(m))
    unit_marts(con, m)
    # computed_at in China time, as the register's times and as pages show them.
    computed_at = dt.datetime.now(CHINA).replace(tzinfo=None)
    con.execute(
        "INSERT INTO runs BY NAME SELECT ? AS run_id, ? AS computed_at, ? AS methodology_version, ? AS config_hash, "
        "? AS config_text, ? AS data_batch, ? AS data_files, ? AS data_digest, 'duckdb' AS engine",
        [run_id, computed_at, m.version, m.sha256, m.text, batch, json.dumps(files), data_digest(files)],
    )
    con.execute(f"INSERT INTO run_periods {run_periods_select(run_id, as_of)}")
    con.execute(f"INSERT INTO run_adjustments SELECT {run_id}, * FROM int_adjustment_entries")
    con.execute("INSERT INTO run_tiers SELECT * FROM int_run_tiers")
    # By name: a results file from before v1.2 has F6 at the end of its table.
    con.execute(f"INSERT INTO indicator_scores BY NAME {indicator_scores_select(run_id, nodes)}")
    points.org_points(con, m, found["org_claims"])
    con.execute(f"INSERT INTO org_points BY NAME SELECT {run_id} AS run_id, * FROM int_org_points")
    written[0].result()
    writer.close()
    con.execute("CHECKPOINT")  # most of the writing, while the draws may still run
    quarter_result, year_result = drawn.result()
    intervals.store(con, keys, quarter_result)
    intervals.store(con, keys, year_result, "int_year_rank_intervals", "_interval_year_input")
    con.execute(f"INSERT INTO unit_scores BY NAME {unit_scores_select(run_id)}")
    return run_id


# The marts' rows of a run, as SELECTs over the computation's tables: DuckDB inserts them here,
# Spark (pipelines/spark/compute.py) writes them to the lake. One text for both engines.


def run_periods_select(run_id: int, as_of: dt.date) -> str:
    """run_periods' rows: each quarter (over if it ended before as_of) and year (over if its four
    quarters are in the data and it ended before as_of)."""
    day = f"DATE '{as_of.isoformat()}'"
    return f"""SELECT {int(run_id)} AS run_id, period, 'quarter' AS kind, p_end < {day} AS complete, 1 AS quarters
        FROM int_periods
        UNION ALL
        SELECT {int(run_id)}, left(period, 4), 'year',
            count(*) = 4 AND make_date(CAST(left(period, 4) AS INTEGER), 12, 31) < {day}, count(*)
        FROM int_periods GROUP BY left(period, 4)"""


def indicator_scores_select(run_id: int, nodes) -> str:
    """indicator_scores' rows: each indicator's raw value and, where the tree scores it, its score."""
    scored = {n.code for n in nodes if n.level == 1}
    columns = ", ".join(f"w.{c} AS {c}, {'e.' + ident(c) if c in scored else 'NULL'} AS {c}_score" for c in INDICATORS)
    return f"""SELECT {int(run_id)} AS run_id, period, level, unit_id, {columns}
        FROM int_indicator_wide w JOIN int_unit_engine e USING (period, level, unit_id)"""


def unit_scores_select(run_id: int) -> str:
    """unit_scores' rows: mart_unit_scores_new with the rank intervals of quarters and years."""
    return f"""SELECT {int(run_id)} AS run_id, u.*, i.rank_q05, i.rank_q95
        FROM mart_unit_scores_new u
        LEFT JOIN (SELECT period, level, unit_id, rank_q05, rank_q95 FROM int_rank_intervals
                   UNION ALL SELECT period, level, unit_id, rank_q05, rank_q95 FROM int_year_rank_intervals) i
            ON i.period = u.period AND i.level = u.level AND i.unit_id = u.unit_id"""


# The member_scores mart's quarter rows of the run (its columns of work.int_member_rows).
MEMBER_QUARTERS = (
    "SELECT run_id, pkey, member_no, grid_no, services, hours, claims, rating, score, tier_no FROM work.int_member_rows"
)


def member_years(m: Methodology) -> str:
    """The member_scores mart's year rows of the run (a SELECT over work.int_member_rows)."""
    return (SQL / "int_member_years.sql").read_text(encoding="utf-8").format(tier_case=indicators.tier_case(m, "score"))


def _points(con: duckdb.DuckDBPyConnection, source: str) -> tuple[np.ndarray, np.ndarray]:
    """The adjustment points of the rows of `source` in its order, and whether points were
    entered (only those are adjusted in the draws, as in the marts)."""
    import numpy as np  # loaded by then: the rank intervals' module imports it beside the SQL

    data = con.execute(f"""SELECT coalesce(a.adjustment, 0.0) AS points, coalesce(a.has_points, false) AS entered
        FROM {source} x LEFT JOIN int_adjustment_totals a
            ON a.period = x.period AND a.level = x.level AND a.unit_id = x.unit_id
        ORDER BY x.i""").fetchnumpy()
    return np.asarray(data["points"], dtype=float), np.asarray(data["entered"], dtype=bool)


def _draw(intervals, m: Methodology, nodes, quarters: tuple, years: concurrent.futures.Future) -> tuple:
    """The rank intervals of the quarters, then of the years from the same draws (each draw's
    indices of a year's quarters averaged, not evaluated again)."""
    scores, groups, points, entered = quarters
    nodes = intervals.in_play(nodes, scores)  # the same tree for the years' draws
    kept: dict = {}
    quarter_result = intervals.rank_intervals(
        nodes, scores, groups, COMPOSITE, m.rank_intervals, points, entered, keep=kept
    )
    rows, groups, points, entered = years.result()
    year_result = intervals.year_rank_intervals_from(
        nodes,
        kept,
        rows,
        groups,
        COMPOSITE,
        m.rank_intervals,
        int(m.years.min_quarters),
        points,
        entered,
    )
    return quarter_result, year_result


def _sql(con: duckdb.DuckDBPyConnection, name: str, **fmt: str) -> None:
    text = (SQL / name).read_text(encoding="utf-8")
    con.execute(text.format(**fmt) if fmt else text)


def data_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[int | None, list[str]]:
    """The warehouse's latest load batch and its files' content hashes (a run's data snapshot)."""
    try:
        batch = scalar(con, "SELECT max(batch_id) FROM load_batches")
    except duckdb.CatalogException:  # not loaded by the loader (tests build tables by hand)
        return None, []
    files = [h for (h,) in con.execute("SELECT content_hash FROM load_files ORDER BY file_id").fetchall()]
    return batch, files


def data_digest(files: list[str]) -> str:
    """One hash over the data snapshot's file hashes (runs.data_digest, the lake's data_digest)."""
    return hashlib.sha256("\n".join(files).encode()).hexdigest()


class StaleWarehouse(RuntimeError):
    """The warehouse was loaded by a version without what the engine reads."""


def check_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Raise StaleWarehouse when the attached `warehouse` lacks a column the engine reads."""
    # Binding a column is a cheap test (a query over duckdb_columns() read every catalog).
    missing = []
    for table, column in (
        ("services", "member_no"),
        ("demands", "claimed_by_no"),
        ("members", "member_no"),
        ("members", "grid_no"),
    ):
        try:
            con.execute(f"SELECT {column} FROM warehouse.main.{table} LIMIT 0")
        except (duckdb.BinderException, duckdb.CatalogException):  # no such column, or table
            missing.append(f"{table}.{column}")
    if missing:
        raise StaleWarehouse(", ".join(sorted(missing)) + " missing")


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


def in_force(db: Path) -> list[tuple]:
    """The register's approved, not revoked entries as rows in the columns of run_adjustments
    (but run_id): the register's own query, read without pandas (half a second of import for
    a few rows)."""
    from pipelines.evaluation import register

    if not register.evaluation_path(db).exists():
        return []
    with register.reading(db) as con:
        return register.run(con, "adjustments_in_force").fetchall()


def compute(
    db: Path, m: Methodology, adjustments: pd.DataFrame | list[tuple] | None = None, as_of: dt.date | None = None
) -> int:
    """Compute from the warehouse `db` into its results database (scores_path(db)), published
    atomically; returns the run id. adjustments: the entries to apply (None: the register's
    entries in force); as_of: the computation date (None: today in China)."""
    keep_freed_memory()
    # The register is read beside the computation (its own file: a connection and a query).
    entries = Beside(in_force, db) if adjustments is None else adjustments
    with publishing(scores_path(db)) as building:
        # Nothing here depends on the order rows are inserted in; without it DuckDB writes in parallel.
        con = attach(building, db, read_only=False, preserve_insertion_order=False)
        try:
            check_warehouse(con)
            run_id = compute_into(con, m, entries, as_of)
            con.execute("CHECKPOINT scores")
        finally:
            con.close()
    return run_id

"""`python -m pipelines compute --engine spark --lake DIR`: the engine's computation on Spark.

The same SQL models as pipelines/engine/compute.py, in the same order, translated by
pipelines/spark/dialect.py and run by Spark over the lake (pipelines/spark/lake.py): the
indicators, member scores and points (pipelines/spark/raw.py), then the scoring tree, years,
adjustments, grades, ranks and lists, through the engine's own functions on a Spark-shaped
connection (pipelines/spark/connection.py). What is not SQL — the rank-interval draws — runs
on the driver over the unit-level scores (a row per unit and period: thousands, not the
millions of records), as in DuckDB's computation; its results go back to Spark as a table.

Every mart of the run is written to the lake as Parquet (LAKE/marts/run-N/<table>/, with
marts.json: the run record, rows per table, the engine), and — unless publish=False — into
the results database beside the warehouse, as a run like DuckDB's with runs.engine = 'spark'.
Publishing requires the warehouse to hold the data the lake was exported from (same data
digest): results must describe the data the dashboard shows."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from pipelines.duck import scalar
from pipelines.engine import compute as engine
from pipelines.engine import intervals, points
from pipelines.engine.composite import ident, score_wide
from pipelines.engine.marts import ADJUSTMENT_COLUMNS, MARTS
from pipelines.engine.methodology import Methodology
from pipelines.engine.scores_db import attach, scores_path
from pipelines.lake.export import MARTS as MARTS_FOLDER
from pipelines.publish import publishing
from pipelines.spark import raw
from pipelines.spark.connection import SparkConnection
from pipelines.spark.lake import register_lake, spark_type

ENGINE = "spark"
RUN_MANIFEST = "marts.json"
# The marts a run writes, in the results database's order (runs first: it names the run).
TABLES = (
    "runs",
    "run_periods",
    "run_adjustments",
    "run_tiers",
    "unit_scores",
    "indicator_scores",
    "member_scores",
    "member_points",
    "org_points",
)


_OTHER_DATA = (
    "{db}: 仓库数据与数据湖不一致，结果未发布 (the warehouse holds other data than the lake: "
    "export the lake again from it, or publish into the warehouse it came from)"
)


class LakeUnusable(RuntimeError):
    """No lake at the path, or not one this program wrote, or one whose files do not match its manifest."""


class PublishRefused(RuntimeError):
    """The results cannot go into this results database (other data, or a run id taken meanwhile)."""


def _mart_types() -> dict[str, list[tuple[str, str]]]:
    """Each mart's columns and DuckDB types, from the one DDL (MARTS) in a scratch database."""
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE grid_registry (grid_no INTEGER, grid_id VARCHAR)")  # member_scores_v's join
    con.execute(MARTS)
    out = {t: [(c, ty) for c, ty, *_ in con.execute(f"DESCRIBE {t}").fetchall()] for t in TABLES}
    con.close()
    return out


def run_folder(lake: Path | str, run_id: int) -> str:
    return f"{str(lake).rstrip('/')}/{MARTS_FOLDER}/run-{int(run_id)}"


def next_run_id(db: Path | None, lake: Path | str) -> int:
    """One more than the latest run in the results database (if any) and in the lake's marts."""
    latest = 0
    if db is not None and scores_path(db).exists():
        with duckdb.connect(str(scores_path(db)), read_only=True) as con:
            latest = scalar(con, "SELECT coalesce(max(run_id), 0) FROM runs")
    marts = Path(str(lake)) / MARTS_FOLDER
    if marts.is_dir():
        for p in marts.glob("run-*"):
            if p.name[4:].isdigit():
                latest = max(latest, int(p.name[4:]))
    return latest + 1


def _set_adjustments(sc: SparkConnection, m: Methodology, entries: list[tuple]) -> None:
    """int_adjustment_entries from the register's rows (as compute.set_adjustments), then the
    engine's int_adjustments.sql over them."""
    schema = ", ".join(f"{c} {spark_type(t)}" for c, t in ADJUSTMENT_COLUMNS.items())
    sc.register("int_adjustment_entries", pd.DataFrame(entries, columns=list(ADJUSTMENT_COLUMNS)), schema)
    engine._sql(sc, "int_adjustments.sql", **engine.adjustment_parameters(m))


def _store(sc: SparkConnection, keys, result, into: str, source: str) -> None:
    """intervals.store on Spark: the drawn ranks as a table, joined to the units they belong to."""
    ranked, lo, hi = result
    rows = np.flatnonzero(ranked)
    drawn = pd.DataFrame(
        {"i": rows.astype("int64"), "rank_q05": lo[rows].astype("int32"), "rank_q95": hi[rows].astype("int32")}
    )
    sc.register(f"_{into}_drawn", drawn, "i BIGINT, rank_q05 INT, rank_q95 INT")
    sc.execute(f"""CREATE OR REPLACE TEMP TABLE {into} AS
        SELECT {", ".join(f"x.{ident(k)}" for k in keys)}, r.rank_q05, r.rank_q95
        FROM _{into}_drawn r JOIN {source} x USING (i)""")


def compute_marts(
    spark: SparkSession, m: Methodology, run_id: int, entries: list[tuple], as_of: dt.date, lake: dict
) -> dict[str, DataFrame]:
    """Every mart's rows of the run as Spark frames (run record included), computed from the
    registered lake (`lake`: its manifest) in the order of compute.compute_into."""
    sc = SparkConnection(spark)
    found = raw.compute_raw(spark, m, run_id, sc.macros)
    _set_adjustments(sc, m, entries)
    nodes = m.tree()
    keys, group = ("period", "level", "unit_id"), ("period", "level")
    score_wide(sc, "int_indicator_wide", nodes, keys, group=group, into="int_unit_engine")
    # The draws on the driver, over the unit-level scores (what DuckDB's run does beside its SQL).
    scores, groups = intervals.fetch(sc, "int_unit_engine", nodes, group, order=keys)
    quarters = (scores, groups, *engine._points(sc, "_interval_input"))
    year_rows, year_groups = intervals.year_rows(sc)
    years: concurrent.futures.Future = concurrent.futures.Future()
    years.set_result((year_rows, year_groups, *engine._points(sc, "_interval_year_input")))
    quarter_result, year_result = engine._draw(intervals, m, nodes, quarters, years)
    engine._sql(sc, "int_year_engine.sql", **engine.year_parameters(m))
    engine._sql(sc, "int_index_scores.sql", **engine.indicators.parameters(m))
    engine.unit_marts(sc, m)
    _store(sc, keys, quarter_result, "int_rank_intervals", "_interval_input")
    _store(sc, keys, year_result, "int_year_rank_intervals", "_interval_year_input")
    points.org_points(sc, m, found["org_claims"])
    record = pd.DataFrame(
        [
            {
                "run_id": run_id,
                "computed_at": dt.datetime.now(engine.CHINA).replace(tzinfo=None),
                "methodology_version": m.version,
                "config_hash": m.sha256,
                "config_text": m.text,
                "data_batch": lake.get("load_batch"),
                "data_files": json.dumps(lake.get("data_files", [])),
                "data_digest": lake["data_digest"],
                "engine": ENGINE,
            }
        ]
    )
    sql = {
        "run_periods": engine.run_periods_select(run_id, as_of),
        "run_adjustments": f"SELECT {int(run_id)} AS run_id, * FROM int_adjustment_entries",
        "run_tiers": "SELECT * FROM int_run_tiers",
        "unit_scores": engine.unit_scores_select(run_id),
        "indicator_scores": engine.indicator_scores_select(run_id, nodes),
        "member_scores": f"{engine.MEMBER_QUARTERS} UNION ALL {engine.member_years(m)}",
        "member_points": points.member_select(m),
        "org_points": f"SELECT {int(run_id)} AS run_id, * FROM int_org_points",
    }
    types = _mart_types()
    frames = {"runs": _typed(spark.createDataFrame(record), types["runs"])}
    for table, select in sql.items():
        sc.execute(f"CREATE OR REPLACE TEMP VIEW _mart AS {select}")
        try:
            frames[table] = _typed(spark.table("_mart"), types[table]).localCheckpoint()
        except Exception as e:
            raise RuntimeError(f"mart {table}") from e
    return frames


def _typed(frame: DataFrame, columns: list[tuple[str, str]]) -> DataFrame:
    """The mart's columns, in its order and with its types (Spark would keep DECIMALs and BIGINTs)."""
    from pyspark.sql import functions as F

    have = {c.lower() for c in frame.columns}
    return frame.select(
        *[(F.col(f"`{c}`") if c.lower() in have else F.lit(None)).cast(spark_type(t)).alias(c) for c, t in columns]
    )


def write_lake(frames: dict[str, DataFrame], lake: Path | str, run_id: int, record: dict) -> dict:
    """The run's marts as Parquet under LAKE/marts/run-N/ and its manifest (written last: a run
    folder without marts.json is unfinished)."""
    folder = run_folder(lake, run_id)
    local = Path(folder)
    if local.exists():
        raise FileExistsError(f"{folder} exists: the run id is taken")
    rows = {}
    for table, frame in frames.items():
        frame.write.mode("error").option("compression", "zstd").parquet(f"{folder}/{table}")
        rows[table] = frame.count()
    manifest = {"format": "pbi-marts/1", "run_id": run_id, "engine": ENGINE, "rows": rows} | record
    if local.parent.parent.exists():  # a local lake (a cluster's lake gets the file from Spark)
        (local / RUN_MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        frames["runs"].sparkSession.createDataFrame(
            [(json.dumps(manifest, ensure_ascii=False),)], "value STRING"
        ).coalesce(1).write.mode("error").text(f"{folder}/{RUN_MANIFEST}.d")
    return manifest


def warehouse_digest(db: Path) -> str:
    with duckdb.connect(":memory:") as con:
        con.execute(f"ATTACH '{str(db).replace(chr(39), chr(39) * 2)}' AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        _, files = engine.data_snapshot(con)
    return engine.data_digest(files)


def publish(db: Path, frames: dict[str, DataFrame], run_id: int, data_digest: str) -> None:
    """Insert the run's marts into the results database beside the warehouse `db` (atomically,
    as DuckDB's runs are published): refused if the warehouse holds other data than the lake's,
    or if another computation took the run id meanwhile."""
    if warehouse_digest(db) != data_digest:
        raise PublishRefused(_OTHER_DATA.format(db=db))
    arrow = {table: frame.toArrow() for table, frame in frames.items()}  # before the lock: Spark's work
    with publishing(scores_path(db)) as building:
        con = attach(building, db, read_only=False)
        try:
            con.execute(MARTS)
            taken = scalar(con, f"SELECT count(*) FROM runs WHERE run_id = {int(run_id)}")
            if taken:
                raise PublishRefused(
                    f"计算期间批次 {run_id} 已被占用，请重新计算 (run {run_id} was computed meanwhile: compute again)"
                )
            for table in TABLES:
                con.register("_spark_mart", arrow[table])
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _spark_mart")
                con.unregister("_spark_mart")
            con.execute("CHECKPOINT scores")
        finally:
            con.close()


def compute_spark(
    lake: Path | str,
    m: Methodology,
    db: Path | None = None,
    spark: SparkSession | None = None,
    master: str | None = None,
    remote: str | None = None,
    as_of: dt.date | None = None,
    publish_results: bool = True,
    adjustments: list[tuple] | None = None,
) -> int:
    """Compute a run on Spark from `lake`; write its marts to the lake and, if publish_results,
    into the results database of the warehouse `db`. adjustments: the entries to apply, as
    rows in run_adjustments' columns but run_id (None: those in force in the register beside
    `db`; none without a db). Returns the run id."""
    from pipelines.spark.session import spark_session

    as_of = as_of or engine.china_today()
    entries = adjustments
    if entries is None:
        entries = engine.in_force(db) if db is not None else []
    if "://" not in str(lake) and not (Path(lake) / "manifest.json").is_file():  # before a JVM starts
        raise LakeUnusable(f"{lake}: 不是数据湖，请先运行 export lake (no lake here: run `export lake` first)")
    own = spark is None
    spark = spark or spark_session(master, remote)
    try:
        manifest = _register(spark, lake)
        files = [f["content_hash"] for f in _load_files(spark)]
        lake_record = {
            "load_batch": manifest.get("load_batch"),
            "data_files": files,
            "data_digest": manifest["data_digest"],
        }
        if engine.data_digest(files) != manifest["data_digest"]:
            raise LakeUnusable(f"{lake}: 数据湖文件与清单不符 (load_files do not match the manifest's data digest)")
        if publish_results and db is not None and warehouse_digest(Path(db)) != manifest["data_digest"]:
            raise PublishRefused(_OTHER_DATA.format(db=db))  # before the computation, not after it
        run_id = next_run_id(db, lake)
        frames = compute_marts(spark, m, run_id, entries, as_of, lake_record)
        record = {
            "data_digest": manifest["data_digest"],
            "load_batch": manifest.get("load_batch"),
            "methodology_version": m.version,
            "config_hash": m.sha256,
            "spark_version": spark.version,
            "master": remote or spark.conf.get("spark.master", None) or master,
        }
        write_lake(frames, lake, run_id, record)
        if publish_results and db is not None:
            try:
                publish(Path(db), frames, run_id, manifest["data_digest"])
            except PublishRefused:
                remove_run(lake, run_id)  # not published: its number goes to the next computation
                raise
        return run_id
    finally:
        if own:
            spark.stop()


def _register(spark: SparkSession, lake: Path | str) -> dict:
    try:
        return register_lake(spark, lake)
    except ValueError as e:
        raise LakeUnusable(f"{lake}: 不是本程序导出的数据湖 (not a lake written by this program): {e}") from e


def _load_files(spark: SparkSession) -> list[dict]:
    return [r.asDict() for r in spark.sql("SELECT content_hash FROM load_files ORDER BY file_id").collect()]


def remove_run(lake: Path | str, run_id: int) -> None:
    """Delete a run's marts from a local lake (tests, a failed publication)."""
    shutil.rmtree(run_folder(lake, run_id), ignore_errors=True)

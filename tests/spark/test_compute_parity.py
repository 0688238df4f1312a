"""The whole computation on Spark equals DuckDB's on the demo city: the same warehouse, its lake,
the same methodology (with grade quotas, so that step runs too), the same adjustments (加分,
扣分, 一票否决) and date. DuckDB's run 1 and Spark's run 2 are published into one results
database; every mart of run 2 equals run 1's — scores to 1e-9, keys, grades, ranks, lists,
tiers and counts exactly — and the run record says which engine computed it."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pytest

from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.methodology import parse
from pipelines.engine.scores_db import scores_path
from pipelines.lake.export import export_lake
from pipelines.spark import compute as spark_compute

AS_OF = dt.date(2026, 12, 2)
TOLERANCE = 1e-9
# Each mart's key (rows are matched on it) and the columns compared to TOLERANCE; every other
# column is compared exactly.
MARTS = {
    "unit_scores": (
        ("period", "level", "unit_id"),
        ("fortress", "vanguard", "service", "composite", "satisfaction", "composite_raw", "adjustment"),
    ),
    "indicator_scores": (("period", "level", "unit_id"), None),  # every value and score column
    "member_scores": (("pkey", "member_no"), ("hours", "rating", "score")),
    "member_points": (("pkey", "member_no"), ("hours", "points_raw", "points", "points_ytd")),
    "org_points": (("period", "org_id"), ("hours", "points", "points_per_member")),
    "run_periods": (("period",), ()),
    "run_adjustments": (("adjustment_id",), ("points",)),
    "run_tiers": (("tier_no",), ("min_score",)),
}


def _methodology():
    text = load_methodology().text + '\n[quotas]\n"较好" = 0.2\n"一般" = 0.3\n'
    return parse(text, Path("methodology-quotas.toml"))


def _entries(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        grids = [g for (g,) in con.execute("SELECT grid_id FROM grids ORDER BY grid_id LIMIT 3").fetchall()]
        quarter = con.execute(
            "SELECT max(year(service_date) || 'Q' || quarter(service_date)) FROM services"
        ).fetchall()[0][0]
    when = dt.datetime(2026, 11, 30, 9, 0)
    rows = [(grids[0], "加分", 3.0), (grids[1], "扣分", -8.0), (grids[2], "一票否决", 0.0)]
    return [
        (i, "grid", unit, quarter, kind, points, "测试", None, None, "admin", when, "approver", when)
        for i, (unit, kind, points) in enumerate(rows, start=1)
    ]


@pytest.fixture(scope="module")
def runs(spark, small_default, tmp_path_factory) -> dict:
    from pipelines.load.batch import load

    root = tmp_path_factory.mktemp("compute_parity")
    db = root / "pbi.duckdb"
    load([small_default], db)
    m, entries = _methodology(), _entries(db)
    duck_run = compute(db, m, adjustments=entries, as_of=AS_OF)
    lake = root / "lake"
    export_lake(db, lake)
    spark_run = spark_compute.compute_spark(lake, m, db=db, spark=spark, as_of=AS_OF, adjustments=entries)
    return {"db": db, "lake": lake, "duck": duck_run, "spark": spark_run, "m": m}


def _rows(con, table: str, run: int) -> tuple[list[str], list[tuple]]:
    cur = con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = {run}")
    return [d[0] for d in cur.description], cur.fetchall()


def _same(a: object, b: object, approx: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if approx:
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=TOLERANCE)
    return a == b


def test_runs_numbered_and_recorded(runs) -> None:
    assert (runs["duck"], runs["spark"]) == (1, 2)
    with duckdb.connect(str(scores_path(runs["db"])), read_only=True) as con:
        rows = con.execute(
            "SELECT run_id, engine, methodology_version, config_hash, data_batch, data_files, data_digest FROM runs "
            "ORDER BY run_id"
        ).fetchall()
    assert [r[1] for r in rows] == ["duckdb", "spark"]
    assert rows[0][2:] == rows[1][2:]  # the same methodology and data snapshot
    assert rows[1][3] == runs["m"].sha256 and json.loads(rows[1][5])


@pytest.mark.parametrize("table", list(MARTS))
def test_mart_parity(runs, table) -> None:
    assert_same_mart(runs["db"], table, runs["duck"], runs["spark"])


def assert_same_mart(db: Path, table: str, duck_run: int, spark_run: int) -> None:
    """Run spark_run's rows of the mart `table` in the results of `db` equal duck_run's."""
    key, approx = MARTS[table]
    with duckdb.connect(str(scores_path(db)), read_only=True) as con:
        columns, expected = _rows(con, table, duck_run)
        got_columns, got = _rows(con, table, spark_run)
    assert got_columns == columns
    assert len(got) == len(expected) > 0
    at = [columns.index(k) for k in key]
    by_key = {tuple(r[i] for i in at): r for r in expected}
    assert len(by_key) == len(expected)  # the key is a key
    if approx is None:  # indicator_scores: every column after the key holds numbers
        approx = tuple(c for c in columns if c not in key)
    differ = []
    for row in got:
        want = by_key.get(tuple(row[i] for i in at))
        if want is None or not all(_same(a, b, c in approx) for a, b, c in zip(row, want, columns, strict=True)):
            differ.append((row, want))
    assert not differ, f"{len(differ)} rows differ, e.g. {differ[:2]}"


def test_the_checks_are_not_vacuous(runs) -> None:
    """The demo exercises what the parity covers: adjustments, a veto, quotas, lists, tiers, ranks."""
    with duckdb.connect(str(scores_path(runs["db"])), read_only=True) as con:
        unit = con.execute(
            "SELECT count(*) FILTER (WHERE adjustment <> 0), count(*) FILTER (WHERE veto), count(DISTINCT grade), "
            "count(DISTINCT list), count(rank_q05), count(*) FILTER (WHERE period NOT LIKE '%Q%') "
            "FROM unit_scores WHERE run_id = 2"
        ).fetchall()[0]
        tiers = con.execute("SELECT count(DISTINCT tier_no) FROM member_scores WHERE run_id = 2").fetchall()[0][0]
        ranked = con.execute("SELECT count(city_rank) FROM org_points WHERE run_id = 2").fetchall()[0][0]
    assert unit[0] >= 2 and unit[1] >= 1 and unit[2] >= 3 and unit[3] >= 2 and unit[4] > 0 and unit[5] > 0
    assert tiers >= 3 and ranked > 0


def test_marts_written_to_the_lake(runs) -> None:
    folder = runs["lake"] / "marts" / f"run-{runs['spark']}"
    manifest = json.loads((folder / "marts.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "spark" and manifest["run_id"] == runs["spark"]
    with duckdb.connect() as con:
        for table, rows in manifest["rows"].items():
            n = con.execute(f"SELECT count(*) FROM read_parquet('{folder / table}/*.parquet')").fetchall()[0][0]
            assert n == rows > 0 or (table == "run_adjustments" and n == rows), table
    with duckdb.connect(str(scores_path(runs["db"])), read_only=True) as con:
        published = con.execute("SELECT count(*) FROM member_scores WHERE run_id = 2").fetchall()[0][0]
    assert manifest["rows"]["member_scores"] == published


def test_the_dashboard_shows_the_spark_run(monkeypatch, runs) -> None:
    """The methodology page's run record of the latest run (Spark's) names the engine."""
    from tests.signin import app

    at = app(monkeypatch, runs["db"], "methodology")
    assert not at.exception
    record = at.dataframe[6].value.set_index("项目")["值"]
    assert record["计算批次"] == str(runs["spark"]) and record["计算引擎"] == "Spark（大数据平台）"

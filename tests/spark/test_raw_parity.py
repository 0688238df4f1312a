"""compute_raw's steps on Spark over the lake exported from the demo city equal DuckDB's
compute_raw on its warehouse: int_indicator_wide to 1e-9 for numbers and exactly for keys, the
member rows likewise (scores 1e-9, tiers exact). Types are cast explicitly on both sides."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from pipelines.engine import indicators
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import attach
from pipelines.lake.export import export_lake
from pipelines.spark import raw
from pipelines.spark.lake import register_lake

RUN_ID = 7
TOLERANCE = 1e-9
# Columns by kind: keys and counts compared exactly, numbers to TOLERANCE.
WIDE_KEYS = {"period": "VARCHAR", "level": "VARCHAR", "unit_id": "VARCHAR"}
WIDE_NUMBERS = ("F1", "F2", "F3", "F4", "F5", "F6", "V5", "V6", "S1", "S2", "S3", "S4", "S4_sum", "S4_n")
MEMBER_EXACT = {
    "run_id": "BIGINT",
    "pkey": "BIGINT",
    "member_no": "BIGINT",
    "grid_no": "BIGINT",
    "services": "BIGINT",
    "claims": "BIGINT",
    "tier_no": "BIGINT",
    "ratings_5": "BIGINT",
    "reporting_org_id": "VARCHAR",
}
MEMBER_NUMBERS = ("hours", "rating", "score")
POINTS_EXACT = {
    "run_id": "BIGINT",
    "pkey": "BIGINT",
    "member_no": "BIGINT",
    "grid_no": "BIGINT",
    "reporting_org_id": "VARCHAR",
    "services": "BIGINT",
    "claims": "BIGINT",
    "ratings_5": "BIGINT",
    "tier": "VARCHAR",
}
POINTS_NUMBERS = ("hours", "points_raw", "points", "points_ytd")


def _select(table: str, exact: dict[str, str], numbers: tuple[str, ...], spark: bool) -> str:
    def cast(column: str, kind: str) -> str:
        kind = "STRING" if spark and kind == "VARCHAR" else kind
        return f"CAST({column} AS {kind}) AS {column}"

    cols = [cast(c, t) for c, t in exact.items()] + [cast(c, "DOUBLE") for c in numbers]
    return f"SELECT {', '.join(cols)} FROM {table}"


@pytest.fixture(scope="module")
def demo(small_default, tmp_path_factory) -> dict:
    """The demo city loaded; DuckDB's compute_raw over it; its lake."""
    from pipelines.load.batch import load

    root = tmp_path_factory.mktemp("raw_parity")
    db = root / "pbi.duckdb"
    load([small_default], db)
    m = load_methodology()
    con = attach(root / "pbi.scores.duckdb", db, read_only=False)
    found = indicators.compute_raw(con, m, RUN_ID)
    wide = con.execute(_select("int_indicator_wide", WIDE_KEYS, WIDE_NUMBERS, spark=False)).fetchall()
    members = con.execute(_select("work.int_member_rows", MEMBER_EXACT, MEMBER_NUMBERS, spark=False)).fetchall()
    member_points = con.execute(_select("int_member_points", POINTS_EXACT, POINTS_NUMBERS, spark=False)).fetchall()
    demands = con.execute("SELECT ticket_id, reported_at, resolved_at FROM demands ORDER BY ticket_id").fetchall()
    con.close()
    lake = root / "lake"
    manifest = export_lake(db, lake)
    return {
        "m": m,
        "lake": lake,
        "manifest": manifest,
        "found": found,
        "wide": wide,
        "members": members,
        "member_points": member_points,
        "demands": demands,
    }


@pytest.fixture(scope="module")
def on_spark(spark, demo) -> dict:
    registered = register_lake(spark, demo["lake"])
    found = raw.compute_raw(spark, demo["m"], RUN_ID)
    return {"manifest": registered, "found": found}


def _rows(spark, sql: str) -> list[tuple]:
    return [tuple(r) for r in spark.sql(sql).collect()]


def _equal(got: list[tuple], expected: list[tuple], n_exact: int) -> None:
    """Same rows (sorted by the exact columns): the first n_exact values equal, the rest to TOLERANCE."""
    assert len(got) == len(expected) > 0
    key = lambda r: tuple((v is None, v) for v in r[:n_exact])  # noqa: E731
    mismatches = []
    for g, e in zip(sorted(got, key=key), sorted(expected, key=key), strict=True):
        same = g[:n_exact] == e[:n_exact] and all(
            (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, abs_tol=TOLERANCE))
            for a, b in zip(g[n_exact:], e[n_exact:], strict=True)
        )
        if not same:
            mismatches.append((g, e))
    assert not mismatches, f"{len(mismatches)} rows differ, e.g. {mismatches[:3]}"


def test_lake_registered_with_the_manifest_types(spark, demo, on_spark) -> None:
    manifest = on_spark["manifest"]
    assert manifest["data_digest"] == demo["manifest"]["data_digest"]
    for table in manifest["tables"]:
        frame = spark.table(table["name"])
        assert frame.columns == [c["name"] for c in table["columns"]]  # no `quarter`
        assert frame.count() == table["rows"]
    types = dict(spark.table("demands").dtypes)
    assert types["reported_at"] == "timestamp_ntz" and types["satisfaction"] == "bigint"


def test_naive_china_times_unchanged(spark, demo, on_spark) -> None:
    got = _rows(spark, "SELECT ticket_id, reported_at, resolved_at FROM demands ORDER BY ticket_id")
    assert got == demo["demands"]
    assert isinstance(got[0][1], dt.datetime) and got[0][1].tzinfo is None


def test_same_sources_found(demo, on_spark) -> None:
    assert on_spark["found"] == demo["found"]


def test_indicator_wide_parity(spark, demo, on_spark) -> None:
    got = _rows(spark, _select("int_indicator_wide", WIDE_KEYS, WIDE_NUMBERS, spark=True))
    _equal(got, demo["wide"], len(WIDE_KEYS))
    # As DuckDB's: DOUBLE, not the DECIMAL Spark makes of the SQL's 100.0 and prior weights.
    types = dict(spark.table("int_indicator_wide").dtypes)
    assert all(types[c] == "double" for c in WIDE_NUMBERS[:-2]), types
    # Not vacuous: the demo city has values for every indicator.
    for i, code in enumerate(WIDE_NUMBERS, start=len(WIDE_KEYS)):
        assert any(r[i] is not None for r in got), code


def test_member_rows_parity(spark, demo, on_spark) -> None:
    got = _rows(spark, _select("int_member_rows", MEMBER_EXACT, MEMBER_NUMBERS, spark=True))
    _equal(got, demo["members"], len(MEMBER_EXACT))
    tier, org = list(MEMBER_EXACT).index("tier_no"), list(MEMBER_EXACT).index("reporting_org_id")
    assert len({r[tier] for r in got}) > 1 and any(r[org] is not None for r in got)


def test_demo_exercises_the_v11_sources(demo) -> None:
    # The warehouse has the task list, reporting organisations and claims: no empty stand-ins.
    assert demo["found"] == {
        "tasks": "tasks",
        "reporting_org": "m.reporting_org_id",
        "org_claims": "(SELECT claimed_by_org, resolved_at FROM demands)",
    }


def test_member_points_parity(spark, demo, on_spark) -> None:
    got = _rows(spark, _select("int_member_points", POINTS_EXACT, POINTS_NUMBERS, spark=True))
    _equal(got, demo["member_points"], len(POINTS_EXACT))

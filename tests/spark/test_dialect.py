"""pipelines/spark/dialect.py: each rewrite, run on Spark and compared with DuckDB running the
original DuckDB SQL over the same hand-made tables."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest

from pipelines.engine.compute import grade_order_macro
from pipelines.engine.methodology import load
from pipelines.spark.dialect import NotPortable, to_spark

# Hand-made tables, created by the same DuckDB text on both sides (CREATE TEMP TABLE: on
# Spark a cached temp view, which is itself under test).
TABLES = """
CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM (VALUES
    ('a', 1, 2.5::DOUBLE, DATE '2025-03-31', TIMESTAMP '2025-03-31 23:59:59.900'),
    ('a', 3, NULL, DATE '2025-04-01', TIMESTAMP '2025-04-01 00:00:00.100'),
    ('a', NULL, 1.0, DATE '2024-12-31', TIMESTAMP '2024-12-31 08:00:00'),
    ('b', 2, 4.0, DATE '2025-07-15', TIMESTAMP '2025-07-15 12:30:00'),
    ('b', 2, 0.5, DATE '2025-10-01', NULL),
    ('c', NULL, NULL, NULL, TIMESTAMP '2026-01-01 00:00:00')
) v(k, n, x, d, ts);
"""


@pytest.fixture(scope="module")
def duck() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(TABLES)
    return con


@pytest.fixture(scope="module")
def tables(spark) -> None:
    for statement in to_spark(TABLES):
        spark.sql(statement)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def both(spark, duck, sql: str, macros: dict | None = None) -> list[tuple]:
    """Rows of `sql` (DuckDB dialect) from DuckDB and, translated, from Spark: asserted equal."""
    expected = [tuple(r) for r in duck.execute(sql).fetchall()]
    statements = to_spark(sql, macros)
    for statement in statements[:-1]:
        spark.sql(statement)
    got = [tuple(r) for r in spark.sql(statements[-1]).collect()]
    assert len(got) == len(expected), (got, expected)
    for g, e in zip(got, expected, strict=True):
        assert _same(list(g), list(e)), (statements[-1], g, e)
    return expected


def test_temp_table_is_a_cached_view(spark, tables) -> None:
    statements = to_spark("CREATE OR REPLACE TEMP TABLE u AS SELECT k, n FROM t WHERE n > 1")
    assert statements[-1] == "CACHE TABLE u"
    for s in statements:
        spark.sql(s)
    assert spark.catalog.isCached("u")
    assert sorted(tuple(r) for r in spark.sql("SELECT * FROM u").collect()) == [("a", 3), ("b", 2), ("b", 2)]


def test_work_tables_and_their_views(spark, duck, tables) -> None:
    duck.execute("ATTACH IF NOT EXISTS ':memory:' AS work")
    sql = """CREATE OR REPLACE TABLE work.w AS SELECT k, count(*) AS c FROM t GROUP BY k;
        CREATE OR REPLACE TEMP VIEW w AS SELECT * FROM work.w;"""
    duck.execute(sql)
    statements = to_spark(sql)
    assert not any("work." in s.lower() for s in statements)
    assert len(statements) == 2  # the view of the `work` table of its own name is that table here
    for s in statements:
        spark.sql(s)
    both(spark, duck, "SELECT k, c FROM work.w ORDER BY k")


def test_qkey_macro_expanded_across_calls(spark, duck, tables) -> None:
    macros: dict = {}
    definition = "CREATE OR REPLACE TEMP MACRO pbi_qkey(d) AS year(d) * 10 + quarter(d);"
    duck.execute(definition)
    assert to_spark(definition, macros) == []
    # Defined in one call, used in a later one (int_periods.sql, then int_member_values.sql).
    rows = both(spark, duck, "SELECT pbi_qkey(d), pbi_qkey(ts), pbi_qkey(d) // 10 FROM t ORDER BY k, n, x", macros)
    assert rows[0] == (20251, 20251, 2025)


def test_grade_order_macro_from_its_one_definition(spark, duck, tables) -> None:
    m = load()
    macros: dict = {}
    duck.execute(grade_order_macro(m))
    to_spark(grade_order_macro(m), macros)
    names = ", ".join(f"('{g.name}')" for g in m.grades)
    rows = both(spark, duck, f"SELECT g, pbi_grade_order(g) FROM (VALUES {names}) v(g) ORDER BY 2", macros)
    assert [r[1] for r in rows] == list(range(len(m.grades)))


def test_decimal_literals_are_double(spark, duck, tables) -> None:
    sql = "SELECT (coalesce(n, 0) + 5.0 * 4.0) / (n + 3.0) AS r, 100.0 * n / 7 AS s FROM t ORDER BY k, n, x"
    both(spark, duck, sql)
    # Without the rewrite Spark computes in DECIMAL, rounded to its scale (DuckDB: DOUBLE).
    assert spark.sql("SELECT typeof((1 + 5.0 * 4.0) / (3 + 5.0))").first()[0].startswith("decimal")
    assert spark.sql(to_spark("SELECT typeof((1 + 5.0 * 4.0) / (3 + 5.0))")[0]).first()[0] == "double"


def test_ordered_list_keeps_its_order(spark, duck, tables) -> None:
    # collect_list (SQLGlot's translation) would lose the order; NULL keys last as in DuckDB.
    rows = both(spark, duck, "SELECT k, list(x ORDER BY n DESC, x) FROM t GROUP BY k ORDER BY k")
    assert rows[0] == ("a", [None, 2.5, 1.0])
    both(spark, duck, "SELECT k, list(n ORDER BY x NULLS FIRST) FROM t GROUP BY k ORDER BY k")


def test_ordered_first_and_string_agg(spark, duck, tables) -> None:
    both(spark, duck, "SELECT k, first(n ORDER BY x DESC, n) FROM t GROUP BY k ORDER BY k")
    both(spark, duck, "SELECT k, string_agg(CAST(n AS VARCHAR), '|' ORDER BY d DESC) FROM t GROUP BY k ORDER BY k")
    both(spark, duck, "SELECT k, sum(x ORDER BY d) FROM t GROUP BY k ORDER BY k")


def test_quantile_cont(spark, duck, tables) -> None:
    both(spark, duck, "SELECT k, quantile_cont(x, 0.25), quantile_cont(n, 0.5) FROM t GROUP BY k ORDER BY k")


def test_short_pivot_refused() -> None:
    with pytest.raises(NotPortable):
        to_spark("PIVOT t ON k USING sum(x) GROUP BY n")


def test_qualify_becomes_a_subquery(spark, duck, tables) -> None:
    sql = "SELECT k, n, x FROM t QUALIFY row_number() OVER (PARTITION BY k ORDER BY x DESC) = 1 ORDER BY k"
    assert "QUALIFY" not in to_spark(sql)[0].upper()
    both(spark, duck, sql)


def test_union_all_by_name(spark, duck, tables) -> None:
    sql = """SELECT k, n FROM t UNION ALL BY NAME SELECT k, x FROM t
        UNION ALL BY NAME SELECT x, d, k FROM t ORDER BY k, n, x, d"""
    both(spark, duck, sql)


def test_unpivot_statement(spark, duck, tables) -> None:
    sql = """SELECT k, code, value FROM (UNPIVOT (SELECT k, CAST(n AS DOUBLE) AS n, x FROM t)
        ON n, x INTO NAME code VALUE value) ORDER BY k, code, value"""
    rows = both(spark, duck, sql)
    assert ("a", "x", 2.5) in rows  # NULLs left out, as DuckDB's default


def test_range_in_from_excludes_its_end(spark, duck, tables) -> None:
    # SQLGlot's own translation drops the last quarter here.
    sql = """SELECT CAST(q AS DATE) FROM (SELECT min(d) AS lo, max(d) AS hi FROM t),
        range(date_trunc('quarter', lo), date_trunc('quarter', hi) + INTERVAL 1 DAY, INTERVAL 3 MONTH) s(q)
        ORDER BY 1"""
    rows = both(spark, duck, sql)
    assert rows[0] == (dt.date(2024, 10, 1),) and rows[-1] == (dt.date(2025, 10, 1),) and len(rows) == 5


def test_date_diff_counts_boundaries(spark, duck, tables) -> None:
    sql = """SELECT date_diff('second', ts, ts + INTERVAL 200 MILLISECOND),
        date_diff('hour', ts, ts + INTERVAL 30 MINUTE),
        date_diff('day', ts, ts + INTERVAL 1 HOUR) FROM t WHERE ts IS NOT NULL ORDER BY ts"""
    rows = both(spark, duck, sql)
    # 23:59:59.900 + 0.2 s crosses a second, an hour and a day boundary; 12:30 + 30 min an hour.
    assert rows[1] == (1, 1, 1) and rows[3] == (0, 1, 0)


def test_timestamps_come_back_unchanged(spark, duck, tables) -> None:
    rows = both(spark, duck, "SELECT ts, CAST(ts AS DATE), strftime(ts, '%Y-%m-%d %H:%M') FROM t ORDER BY ts")
    assert rows[0][0] == dt.datetime(2024, 12, 31, 8, 0)


def test_engine_statement_kinds(spark, duck, tables) -> None:
    """GROUP BY ALL with FILTER, count_if, arg_max, integer division and `::` casts, USING joins
    with `alias.*`, a CTE of VALUES with column names, as the engine's steps write them."""
    sql = """WITH req(k, r) AS (VALUES ('a', 2), ('b', 1)),
        agg AS (SELECT k, count(*) FILTER (WHERE n > 1) AS big, count_if(x >= 1.0) AS xs, arg_max(n, d) AS latest,
            sum(n)::BIGINT // 2 AS half FROM t GROUP BY ALL)
        SELECT q.r, a.* FROM agg a JOIN req q USING (k) ORDER BY k"""
    both(spark, duck, sql)


def test_materialized_cte_loses_the_hint(spark, duck, tables) -> None:
    sql = "WITH m AS MATERIALIZED (SELECT k, sum(n) AS s FROM t GROUP BY k) SELECT k, s FROM m ORDER BY k"
    assert "MATERIALIZED" not in to_spark(sql)[0].upper()
    both(spark, duck, sql)

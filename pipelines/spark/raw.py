"""compute_raw's steps on Spark: the same SQL files of pipelines/sql/indices/ (STEPS), templated
with the same values from the methodology, translated by pipelines/spark/dialect.py and run
against a registered lake (pipelines/spark/lake.py). Result: the temp views int_indicator_wide
and int_indicator_values, int_member_rows (the member_scores mart's rows of the run and what
the points need) and int_member_scores / int_member_points, as DuckDB's compute_raw leaves them.

Sequential where DuckDB's runs int_grid_records on a second connection: Spark parallelises
within each statement instead."""

from __future__ import annotations

import duckdb
import sqlglot
from pyspark.sql import SparkSession

from pipelines.engine import indicators, points
from pipelines.engine.composite import compile_tree, ident
from pipelines.engine.methodology import MEMBER_SCORE, Methodology
from pipelines.spark.connection import run_statements
from pipelines.spark.dialect import Macro, to_spark


class _SparkBinder:
    """What indicators.sources() asks of a connection (does a column bind?), answered by Spark:
    its fallbacks for an older warehouse are then the engine's own."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def execute(self, sql: str) -> None:
        # sources() asks "SELECT column FROM table LIMIT 0": answered from the catalog, without
        # a failing query (Spark logs each one as an error).
        query = sqlglot.parse_one(sql, read="duckdb")
        table = query.find(sqlglot.exp.Table).name
        if not self.spark.catalog.tableExists(table):
            raise duckdb.CatalogException(f"no table {table}")
        have = {c.lower() for c in self.spark.table(table).columns}
        missing = [c.name for c in query.expressions if c.name.lower() not in have]
        if missing:
            raise duckdb.BinderException(f"{table} has no {missing}")


def step_values(m: Methodology, run_id: int, found: dict[str, str]) -> dict[str, str]:
    """The str.format values of STEPS, as compute_raw builds them."""
    return (
        indicators.parameters(m)
        | found
        | {
            "top_rating": repr(float(m.points.top_rating)),
            "run_id": str(int(run_id)),
            "member_tree": compile_tree(
                m.member_tree(),
                "int_member_values",
                keys=("pkey", "member_no", "grid_no"),
                carry=("s", "h", "c", "r_bar", "r5", "reporting_org_id"),
            ),
            "member_score": ident(MEMBER_SCORE),
            "tier_case": indicators.tier_case(m, ident(MEMBER_SCORE)),
            "run_tiers": indicators.run_tiers(m, run_id),
            "data_quarters": indicators.DATA_QUARTERS.read_text(encoding="utf-8"),
        }
    )


def run(spark: SparkSession, sql: str, macros: dict[str, Macro]) -> None:
    run_statements(spark, to_spark(sql, macros))


def compute_raw(
    spark: SparkSession, m: Methodology, run_id: int, macros: dict[str, Macro] | None = None
) -> dict[str, str]:
    """compute_raw's steps on `spark` (the lake registered); returns what sources() found.
    macros: the computation's (its later steps use the macros these steps define)."""
    found = indicators.sources(_SparkBinder(spark))
    values = step_values(m, run_id, found)
    macros = {} if macros is None else macros
    for step in indicators.STEPS:
        run(spark, (indicators.SQL / f"{step}.sql").read_text(encoding="utf-8").format(**values), macros)
    run(spark, f"CREATE OR REPLACE TEMP VIEW int_member_points AS {points.member_select(m)}", macros)
    return found

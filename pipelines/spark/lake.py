"""The Parquet lake (pipelines/lake/export.py) as Spark temp views: one per table, named as in
the warehouse, with the manifest's columns and types (cast explicitly: Parquet's physical
types are not always the warehouse's) and without the partition column of fact tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

FORMAT = "pbi-lake/1"

# DuckDB's type names (as the manifest records them) → Spark's. Unsigned integers widen to the
# next signed type (UBIGINT to DECIMAL(20,0), as Spark reads Parquet's UINT_64); TIMESTAMP is
# naive in DuckDB: TIMESTAMP_NTZ.
_TYPES = {
    "BOOLEAN": "BOOLEAN",
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "HUGEINT": "DECIMAL(38,0)",
    "UTINYINT": "SMALLINT",
    "USMALLINT": "INT",
    "UINTEGER": "BIGINT",
    "UBIGINT": "DECIMAL(20,0)",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "BLOB": "BINARY",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type of a DuckDB type name."""
    t = duckdb_type.strip().upper()
    if t in _TYPES:
        return _TYPES[t]
    if m := _DECIMAL.fullmatch(t):
        return f"DECIMAL({m[1]},{m[2]})"
    raise ValueError(f"no Spark type for DuckDB's {duckdb_type!r}")


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def register_lake(spark: SparkSession, lake: Path | str) -> dict:
    """Register every table of the lake at `lake` (a local folder or any path Spark reads, with
    manifest.json) as a temp view of its name; returns the manifest."""
    root = str(lake).rstrip("/")
    manifest_path = Path(root) / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    else:  # a lake on a cluster's storage: Spark reads the manifest too
        manifest = json.loads(spark.read.text(f"{root}/manifest.json", wholetext=True).first()[0])
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{root}: not a {FORMAT} lake (format {manifest.get('format')!r})")
    for table in manifest["tables"]:
        frame = spark.read.parquet(f"{root}/{table['path']}")
        columns = [F.col(_quote(c["name"])).cast(spark_type(c["type"])).alias(c["name"]) for c in table["columns"]]
        frame.select(*columns).createOrReplaceTempView(table["name"])
    return manifest

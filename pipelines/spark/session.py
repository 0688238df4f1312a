"""A Spark session whose SQL means what the engine's DuckDB SQL means (pipelines/spark/dialect.py
translates the syntax; these settings fix the semantics the translation relies on)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings

from pyspark.sql import SparkSession

# PySpark 4.3 warns at every pandas conversion that it "does not yet fully support pandas >= 3"; the
# engine converts only the unit-level scores and the marts (numbers, text, dates), which the
# parity tests compare with DuckDB's. The warning would only bury the CLI's output.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

# The warehouse's timestamps are naive China times. Spark reads them as TIMESTAMP_NTZ (no zone,
# returned unchanged); where Spark converts anyway (date_trunc returns a zoned TIMESTAMP) it does
# so in China time, which has had no daylight saving since 1991, so every conversion is exact.
TIME_ZONE = "Asia/Shanghai"

SEMANTICS = {
    # DuckDB raises on overflow and on a CAST that fails (TRY_CAST is the exception): so does ANSI.
    "spark.sql.ansi.enabled": "true",
    "spark.sql.session.timeZone": TIME_ZONE,
    # CAST(x AS TIMESTAMP) and timestamp literals without a zone, as DuckDB's TIMESTAMP.
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    # 1e-9 is a DOUBLE in DuckDB (0.5 is a DECIMAL in both: the dialect makes those DOUBLE).
    "spark.sql.legacy.exponentLiteralAsDecimal.enabled": "false",
    # Identifiers are case-insensitive in DuckDB ("F1" and f1 are one column).
    "spark.sql.caseSensitive": "false",
    # Temp tables are checkpointed (pipelines/spark/connection.py); Spark 4.3's constraint
    # propagation over a UNION of checkpointed relations looks up attributes of the plans they
    # came from and fails ("key not found: level#…", the unit_scores mart). Constraints only
    # infer extra filters: the results are the same without them.
    "spark.sql.constraintPropagation.enabled": "false",
}

LOCAL = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # progress bars over the CLI's own output
    "spark.sql.shuffle.partitions": "4",  # the default 200 is for clusters: tiny tasks on one machine
    "spark.default.parallelism": "4",
    # The driver is the executor in local mode (city: well under 1 GB of data in it).
    "spark.driver.memory": "2g",
    "spark.sql.adaptive.enabled": "true",
    # A run of a minute on a small machine: the JVM's quick compiler only and one collector
    # thread leave the cores to the work (city bench: local[1] 78 → 71 s, local[2] 66 → 60 s).
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
}


def spark_session(master: str | None = None, remote: str | None = None) -> SparkSession:
    """A session on `master` (default: the one spark-submit gave, else local[2]) or, given
    `remote` (sc://HOST:PORT), a Spark Connect session to a cluster; either with the engine's
    SQL semantics (SEMANTICS)."""
    if remote:
        spark = SparkSession.builder.remote(remote).getOrCreate()
    else:
        builder = SparkSession.builder.appName("pbi-engine")
        # Under spark-submit (which starts the JVM and gives Python its gateway's port) the master
        # and the cluster's settings come from spark-submit: kept unless --master is given.
        # Otherwise local[2], with settings for one machine.
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ
        if master or not submitted:
            builder = builder.master(master or "local[2]")
        if (master or ("" if submitted else "local")).startswith("local"):
            # Anything Spark stores as a table goes to a scratch folder, not ./spark-warehouse.
            scratch = tempfile.mkdtemp(prefix="pbi-spark-warehouse-")
            atexit.register(shutil.rmtree, scratch, True)
            for key, value in (LOCAL | {"spark.sql.warehouse.dir": scratch}).items():
                builder = builder.config(key, value)
        spark = builder.getOrCreate()
    for key, value in SEMANTICS.items():
        spark.conf.set(key, value)
    return spark

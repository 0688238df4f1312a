"""A local Spark session per test module (2 cores, no UI, few shuffle partitions), stopped after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    from pipelines.spark.session import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()

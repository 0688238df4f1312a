"""compute --engine spark --remote: the computation as a Spark Connect client (PySpark's own
local Connect server, `--remote local[2]`, stands in for a cluster's sc://HOST:PORT), run as a
newcomer runs the command; its published run equals DuckDB's on the demo city, mart by mart."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.engine.compute import compute
from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import scores_path
from pipelines.lake.export import export_lake
from tests.spark.test_compute_cli import _cli
from tests.spark.test_compute_parity import MARTS, assert_same_mart


@pytest.fixture(scope="module")
def published(small_default, tmp_path_factory):
    from pipelines.load.batch import load

    root = tmp_path_factory.mktemp("connect")
    db = root / "pbi.duckdb"
    load([small_default], db)
    compute(db, load_methodology())  # today in China, as the command's run (same day: same periods)
    export_lake(db, root / "lake")
    result = _cli("compute", "--engine", "spark", "--lake", str(root / "lake"), "--db", str(db), "--remote", "local[2]")
    assert result.returncode == 0, result.stderr[-3000:]
    return db


def test_the_connect_run_is_published_as_spark(published) -> None:
    with duckdb.connect(str(scores_path(published)), read_only=True) as con:
        runs = con.execute("SELECT run_id, engine FROM runs ORDER BY run_id").fetchall()
    assert runs == [(1, "duckdb"), (2, "spark")]


@pytest.mark.parametrize("table", [t for t in MARTS if t != "run_adjustments"])  # none here: see test_compute_parity
def test_connect_parity(published, table) -> None:
    assert_same_mart(published, table, 1, 2)

"""`python -m pipelines compute --engine spark`: as a newcomer runs it on the demo data (export
the lake, compute on Spark, the run published with its engine), --no-publish, and the refusals
(exit status 2 and a message, nothing written)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.engine.methodology import load as load_methodology
from pipelines.engine.scores_db import scores_path
from pipelines.lake.export import export_lake
from pipelines.spark import compute as spark_compute

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


@pytest.fixture(scope="module")
def demo(small_default, tmp_path_factory) -> Path:
    """The demo city loaded (no results yet)."""
    from pipelines.load.batch import load

    db = tmp_path_factory.mktemp("spark_cli") / "pbi.duckdb"
    load([small_default], db)
    return db


def test_export_then_compute_on_spark_publishes_a_spark_run(demo) -> None:
    lake = demo.parent / "lake"
    exported = _cli("export", "lake", "--db", str(demo), "--out", str(lake))
    assert exported.returncode == 0, exported.stderr
    result = _cli("compute", "--engine", "spark", "--lake", str(lake), "--db", str(demo), "--master", "local[2]")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "run 1" in result.stdout and "Spark" in result.stdout
    with duckdb.connect(str(scores_path(demo)), read_only=True) as con:
        runs = con.execute("SELECT run_id, engine FROM runs").fetchall()
        units = con.execute("SELECT count(*), count(composite_rank) FROM unit_scores WHERE run_id = 1").fetchall()[0]
    assert runs == [(1, "spark")] and units[0] >= units[1] > 0
    manifest = json.loads((lake / "marts" / "run-1" / "marts.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "spark" and manifest["master"] == "local[2]" and manifest["spark_version"]
    # The DuckDB engine goes on numbering after it.
    again = _cli("compute", "--db", str(demo))
    assert again.returncode == 0 and "run 2" in again.stdout


def test_no_publish_writes_the_lake_only(spark, demo, tmp_path) -> None:
    db = tmp_path / "pbi.duckdb"
    db.write_bytes(demo.read_bytes())
    lake = tmp_path / "lake"
    export_lake(db, lake)
    run = spark_compute.compute_spark(lake, load_methodology(), db=db, spark=spark, publish_results=False)
    assert run == 1 and (lake / "marts" / "run-1" / "marts.json").is_file()
    assert not scores_path(db).exists()  # no results database made
    # The next run on Spark takes the next number: the lake's runs count.
    assert spark_compute.next_run_id(db, lake) == 2


def test_refusals(demo, tmp_path) -> None:
    before = _sha(scores_path(demo))
    no_lake = _cli("compute", "--engine", "spark", "--db", str(demo))
    assert no_lake.returncode == 2 and "--lake" in no_lake.stderr
    missing = _cli("compute", "--engine", "spark", "--lake", str(tmp_path / "nowhere"), "--db", str(demo))
    assert missing.returncode == 2 and "export lake" in missing.stderr
    duck_with_lake = _cli("compute", "--lake", str(tmp_path), "--db", str(demo))
    assert duck_with_lake.returncode != 0 and "spark" in duck_with_lake.stderr
    assert _sha(scores_path(demo)) == before


def test_publishing_into_a_warehouse_of_other_data_is_refused(demo, small_clean, tmp_path) -> None:
    """A lake from one warehouse is not published into another's results."""
    from pipelines.load.batch import load

    other = tmp_path / "other.duckdb"
    load([small_clean], other)
    lake_digest = json.loads((demo.parent / "lake" / "manifest.json").read_text(encoding="utf-8"))["data_digest"]
    with pytest.raises(spark_compute.PublishRefused, match="other data than the lake"):
        spark_compute.publish(other, {}, 1, lake_digest)
    assert not scores_path(other).exists()


def test_a_lake_of_other_data_is_refused_before_computing(spark, demo, small_clean, tmp_path) -> None:
    from pipelines.load.batch import load

    other = tmp_path / "other.duckdb"
    load([small_clean], other)
    lake = tmp_path / "lake"
    export_lake(demo, lake)
    with pytest.raises(spark_compute.PublishRefused, match="仓库数据与数据湖不一致"):
        spark_compute.compute_spark(lake, load_methodology(), db=other, spark=spark)
    assert not (lake / "marts").exists() and not scores_path(other).exists()


def test_spark_submit_runs_the_command_from_its_file() -> None:
    """spark-submit runs a file: pipelines/spark/submit.py gives it the same command line."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "pipelines" / "spark" / "submit.py"), "compute", "--help"],
        cwd=ROOT / "pipelines",  # not the project's root: the file finds it itself
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "--engine {duckdb,spark}" in result.stdout and "--remote" in result.stdout

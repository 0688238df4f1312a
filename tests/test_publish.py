"""Publishing is atomic: a killed load leaves the published database as it was; a reader
holding the database open keeps working and sees new data after reopening."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.load.batch import load

ROOT = Path(__file__).resolve().parent.parent


def _counts(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("grids", "members", "services", "demands", "meetings", "load_ledger")
        )


@pytest.fixture
def published(small_clean, tmp_path) -> Path:
    db = tmp_path / "pbi.duckdb"
    load([small_clean / "网格台账.csv", small_clean / "党组织信息.csv"], db)
    return db


def _start_load(paths: list[Path], db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "load", *map(str, paths), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def load_seconds(small_clean, tmp_path_factory) -> float:
    """How long a full load of the small city takes here, so kills land inside it."""
    db = tmp_path_factory.mktemp("timing") / "pbi.duckdb"
    started = time.perf_counter()
    assert _start_load([small_clean], db).wait() == 0
    return time.perf_counter() - started


def test_killed_load_leaves_the_published_database_whole(published, small_clean, load_seconds, tmp_path):
    """Killed at 20%, 50% and 80% of a usual load: the published file is readable and holds
    either exactly what it held before or exactly the complete new load (the rename is
    atomic; a kill after publishing, while the process exits, finds the new data)."""
    before = _counts(published)
    complete_db = tmp_path / "complete.duckdb"
    shutil.copyfile(published, complete_db)
    load([small_clean], complete_db)
    complete = _counts(complete_db)
    outcomes = []
    for fraction in (0.2, 0.5, 0.8):
        db = tmp_path / f"killed-{fraction}" / "pbi.duckdb"
        db.parent.mkdir()
        shutil.copyfile(published, db)
        proc = _start_load([small_clean], db)
        time.sleep(fraction * load_seconds)
        if proc.poll() is not None:
            outcomes.append("finished")
            continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        counts = _counts(db)  # readable
        assert counts in (before, complete), (fraction, counts)
        outcomes.append("old" if counts == before else "new")
        # The next load cleans up after the killed one and publishes.
        load([small_clean / "组织生活"], db)
        assert not list(db.parent.glob(".pbi.duckdb.building-*"))
    assert "old" in outcomes, outcomes  # at least one kill landed mid-load


def test_reader_keeps_working_during_a_load_and_sees_new_data_after_reopening(published, small_clean):
    reader = duckdb.connect(str(published), read_only=True)
    old = reader.execute("SELECT count(*) FROM services").fetchall()[0][0]
    assert old == 0
    proc = _start_load([small_clean], published)
    polls = 0
    while proc.poll() is None:
        assert reader.execute("SELECT count(*) FROM grids").fetchall()[0][0] > 0
        polls += 1
        time.sleep(0.1)
    assert proc.returncode == 0 and polls > 3
    assert reader.execute("SELECT count(*) FROM services").fetchall()[0][0] == old  # its snapshot
    reader.close()
    assert _counts(published)[2] > 50_000  # reopened: the new data


@pytest.mark.slow  # two loads at once
def test_concurrent_writers_do_not_lose_each_others_work(tmp_path):
    """Two loads at once into one database: the lock makes the second wait, so both land."""
    header = "网格编码,网格名称,所属社区,所属街道,所属区县,户数\n"
    files = []
    for part in ("A", "B"):
        f = tmp_path / f"grids_{part}.csv"
        f.write_text(
            header + "".join(f"{part}{i:04d},{part}{i}号网格,甲社区,乙街道,丙区,100\n" for i in range(3000)),
            encoding="utf-8",
        )
        files.append(f)
    db = tmp_path / "pbi.duckdb"
    procs = [_start_load([f], db) for f in files]
    assert [p.wait() for p in procs] == [0, 0]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM grids").fetchall()[0][0] == 6000
        assert con.execute("SELECT count(*) FROM load_batches").fetchall()[0][0] == 2

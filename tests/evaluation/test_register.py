"""The register file: beside the warehouse, owner-only, its schema versioned, shared by several
processes (writers queue, readers wait for a writer), and untouched by a load or a compute."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.access import audit
from pipelines.evaluation import adjustments as adj
from pipelines.evaluation import register
from tests.evaluation.conftest import GRIDS

ROOT = Path(__file__).resolve().parents[2]


def test_paths_beside_the_warehouse(tmp_path):
    db = tmp_path / "w" / "pbi.duckdb"
    assert register.evaluation_path(db) == tmp_path / "w" / "pbi.evaluation.duckdb"
    assert register.evidence_dir(db) == tmp_path / "w" / "pbi.evaluation.files"
    assert register.evaluation_path(tmp_path / "city.duckdb").name == "city.evaluation.duckdb"


def test_a_new_register_is_owner_only_and_versioned(warehouse, people):
    adj.add(warehouse, level="city", unit="全市", period="2025", kind="加分", points=1, reason="r", by="admin")
    path = register.evaluation_path(warehouse)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.with_name(path.name + ".writer").stat().st_mode) == 0o600
    with duckdb.connect(str(path), read_only=True) as con:
        versions = con.execute("SELECT component, version FROM schema_version").fetchall()
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert sorted(versions) == [("adjustments", 1), ("review", 1)]
    assert tables == {
        "schema_version", "adjustments", "adjustment_decisions", "review_events", "objections",
        "objection_resolutions", "rectification_items", "rectification_updates",
    }  # fmt: skip
    # opening it again applies nothing twice
    with register.writing(warehouse) as con:
        assert con.execute("SELECT count(*) FROM schema_version").fetchall() == [(2,)]


def test_a_new_component_is_migrated_into_the_same_file(warehouse, people, monkeypatch):
    """How a later part adds its tables: a component of its own."""
    adj.add(warehouse, level="city", unit="全市", period="2025", kind="加分", points=1, reason="r", by="admin")
    monkeypatch.setitem(register.MIGRATIONS, "example", (("schema_version_table",),))
    with register.writing(warehouse) as con:
        rows = con.execute("SELECT component, version FROM schema_version ORDER BY ALL").fetchall()
    assert rows == [("adjustments", 1), ("example", 1), ("review", 1)]
    assert len(adj.listing(warehouse)) == 1


def test_the_tables_refuse_what_the_api_refuses(warehouse, people):
    """The CHECKs are a last guard for a writer that bypasses adjustments.py."""
    adj.add(warehouse, level="city", unit="全市", period="2025", kind="加分", points=1, reason="r", by="admin")
    at = register.now()
    bad = [
        (2, "city", "全市", "全市", "", "2025", "加分", -1.0, "r", None, None, "admin", at),
        (3, "city", "全市", "全市", "", "2025", "一票否决", 2.0, "r", None, None, "admin", at),
        (4, "city", "全市", "全市", "", "2025", "扣分", -200.0, "r", None, None, "admin", at),
        (5, "town", "全市", "全市", "", "2025", "加分", 1.0, "r", None, None, "admin", at),
        (6, "city", "全市", "全市", "", "2025-1", "加分", 1.0, "r", None, None, "admin", at),
        (7, "city", "全市", "全市", "", "2025", "加分", 1.0, " ", None, None, "admin", at),
    ]
    for row in bad:
        with pytest.raises(duckdb.ConstraintException), register.writing(warehouse) as con:
            con.execute("INSERT INTO adjustments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))
    with pytest.raises(duckdb.ConstraintException), register.writing(warehouse) as con:
        con.execute("INSERT INTO adjustment_decisions VALUES (1, 'revoke', 'admin', ?, NULL)", [at])
    assert len(adj.listing(warehouse)) == 1 and adj.listing(warehouse).state.tolist() == ["待审批"]


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_adding_at_once_queue(warehouse, people):
    code = f"""
        from pathlib import Path
        from pipelines.evaluation import adjustments as adj
        for i in range(4):
            print(adj.add(Path({str(warehouse)!r}), level="grid", unit={GRIDS[0][0]!r}, period="2025Q1",
                          kind="加分", points=1, reason="并发", by="admin"))
    """
    procs = [_python(code) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    ids = sorted(int(n) for out, _ in outputs for n in out.split())
    assert ids == list(range(1, 9))
    assert adj.listing(warehouse)["adjustment_id"].tolist() == ids
    rows, broken = audit.verify()
    assert (rows, broken) == (8, [])  # one row per entry, one chain


def test_a_reader_waits_for_a_writer_of_another_process(warehouse, people):
    adj.add(warehouse, level="city", unit="全市", period="2025", kind="加分", points=1, reason="r", by="admin")
    holder = _python(
        f"""
        import sys, time
        from pathlib import Path
        from pipelines.evaluation import register
        with register.writing(Path({str(warehouse)!r})) as con:
            print("holding", flush=True)
            time.sleep(1.5)
            con.execute("INSERT INTO adjustment_decisions VALUES (1, 'approve', 'approver', ?, NULL)", [register.now()])
        """
    )
    assert holder.stdout.readline().strip() == "holding"
    with pytest.raises(duckdb.IOException):  # DuckDB alone would refuse a reader now
        duckdb.connect(str(register.evaluation_path(warehouse)), read_only=True)
    assert adj.listing(warehouse)["state"].tolist() == ["已生效"]  # waited, then saw the commit
    holder.communicate(timeout=60)
    assert holder.returncode == 0


def _digest(path: Path) -> tuple[str, float]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


def test_a_load_and_a_compute_leave_the_register_alone(small_default, tmp_path, people):
    """The register lives beside the warehouse; publishing the warehouse and the results replaces
    their own files only."""
    from pipelines.engine.compute import compute
    from pipelines.engine.methodology import load as load_methodology
    from pipelines.load.batch import load

    db = tmp_path / "pbi.duckdb"
    load([small_default], db)
    with duckdb.connect(str(db), read_only=True) as con:
        grid = con.execute("SELECT min(grid_id) FROM grids").fetchall()[0][0]
    number = adj.add(
        db, level="grid", unit=grid, period="2025Q1", kind="扣分", points=-3, reason="安全事故",
        by="admin", evidence_bytes=b"report", evidence_name="report.txt",
    )  # fmt: skip
    adj.approve(db, number, by="approver")
    path, files = register.evaluation_path(db), register.evidence_dir(db)
    before = (_digest(path), sorted(p.name for p in files.iterdir()))

    load([small_default], db)
    compute(db, load_methodology())
    assert (_digest(path), sorted(p.name for p in files.iterdir())) == before
    assert adj.in_force(db)["adjustment_id"].tolist() == [number]
    assert adj.evidence(db, number) == ("report.txt", b"report")


def test_compute_applies_what_is_in_force_and_a_past_run_keeps_it_after_revocation(small_default, tmp_path, people):
    """Through the product's own path: the register's approved entry, read by compute (no frame
    passed), changes that grid's composite by its points and is recorded in the run; once
    revoked, the next run has neither, and the first run still reads as it was."""
    from pipelines.engine.compute import compute
    from pipelines.engine.methodology import load as load_methodology
    from pipelines.engine.scores_db import scores_path
    from pipelines.load.batch import load

    db = tmp_path / "pbi.duckdb"
    load([small_default], db)
    with duckdb.connect(str(db), read_only=True) as con:
        grid = con.execute("SELECT min(grid_id) FROM grids").fetchall()[0][0]
    number = adj.add(
        db, level="grid", unit=grid, period="2025Q2", kind="扣分", points=-4, reason="安全事故", by="admin"
    )
    pending = adj.add(db, level="grid", unit=grid, period="2025Q2", kind="加分", points=2, reason="表彰", by="admin")
    adj.approve(db, number, by="approver")
    m = load_methodology()
    first = compute(db, m)
    adj.revoke(db, number, by="approver", reason="复核撤销")
    second = compute(db, m)

    def row(run: int) -> tuple:
        with duckdb.connect(str(scores_path(db)), read_only=True) as con:
            return con.execute(
                "SELECT composite_raw, adjustment, composite FROM unit_scores"
                " WHERE run_id = ? AND level = 'grid' AND unit_id = ? AND period = '2025Q2'",
                [run, grid],
            ).fetchall()[0]

    def applied(run: int) -> list:
        with duckdb.connect(str(scores_path(db)), read_only=True) as con:
            return con.execute(
                "SELECT adjustment_id, kind, points, approved_by FROM run_adjustments WHERE run_id = ?", [run]
            ).fetchall()

    raw, points, adjusted = row(first)
    assert points == -4.0 and adjusted == pytest.approx(max(raw - 4.0, 0.0), abs=1e-12)
    assert applied(first) == [(number, "扣分", -4.0, "approver")]  # the pending entry never counts
    assert pending not in [a[0] for a in applied(first)]
    assert applied(second) == [] and row(second) == (raw, 0.0, raw)
    assert row(first) == (raw, points, adjusted)  # the past run, unchanged

"""`python -m pipelines export lake` on the demo city: every table the engine reads, as Parquet
read back equal to the warehouse (fact tables by quarter), a manifest whose digests repeat on
every export and whose data digest is the run's, no person's name, phone or ID in any file,
and a folder that is not a lake left untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.access import audit
from pipelines.cli import main
from pipelines.engine.scores_db import scores_path
from pipelines.lake.export import LakeRefused, export_lake, table_digest

# Known independently of the exporter: the tables the engine's SQL reads, the facts' dates,
# the warehouse's personal columns (pipelines/sql/marts/*.sql) and the demo's quarters (synth).
TABLES = ["grids", "grid_registry", "orgs", "members", "services", "demands", "meetings", "tasks"]
TABLES += ["load_batches", "load_files"]
DATES = {"services": "service_date", "demands": "reported_at", "meetings": "meeting_date", "tasks": "due_date"}
PERSONAL = {
    "members": ["member_key", "id_masked", "name", "phone_masked"],
    "services": ["member_key"],
    "demands": ["claimed_by_key"],
}
DEMO_QUARTERS = {f"{y}Q{q}" for y in (2024, 2025) for q in range(1, 5)}


@pytest.fixture(scope="module")
def lake(published_demo, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("lake") / "lake"
    return out, export_lake(published_demo, out)


@pytest.fixture(scope="module")
def con(published_demo):
    c = duckdb.connect()
    c.execute(f"ATTACH '{published_demo}' AS warehouse (READ_ONLY)")
    yield c
    c.close()


def _read(root: Path, table: str) -> str:
    return f"read_parquet('{root / table}/**/*.parquet', hive_partitioning = true)"


def _described(con, relation: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _quarter(d: dt.date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def test_every_table_reads_back_as_the_warehouse_holds_it(lake, con):
    root, manifest = lake
    assert [t["name"] for t in manifest["tables"]] == TABLES
    for t in manifest["tables"]:
        name = t["name"]
        kept = [(c, k) for c, k in _described(con, f"warehouse.main.{name}") if c not in PERSONAL.get(name, [])]
        assert [(c["name"], c["type"]) for c in t["columns"]] == kept, name
        back = _read(root, name)
        extra = [("quarter", "VARCHAR")] if name in DATES else []
        assert _described(con, back) == kept + extra, name
        columns = ", ".join(f'"{c}"' for c, _ in kept)
        mine, theirs = f"SELECT {columns} FROM {back}", f"SELECT {columns} FROM warehouse.main.{name}"
        rows = con.execute(f"SELECT count(*) FROM ({theirs})").fetchall()[0][0]
        assert con.execute(f"SELECT count(*) FROM ({mine})").fetchall()[0][0] == rows == t["rows"], name
        differ = con.execute(f"SELECT count(*) FROM (({mine}) EXCEPT ALL ({theirs}))").fetchall()[0][0]
        assert differ == 0, name
    assert {t["name"]: t["rows"] for t in manifest["tables"]}["services"] > 50_000  # the demo, not an empty lake


def test_fact_tables_are_partitioned_by_the_quarter_of_their_date(lake, con):
    root, manifest = lake
    for t in manifest["tables"]:
        name = t["name"]
        folders = {p.name for p in (root / name).iterdir()}
        if name not in DATES:
            assert t["partition_by"] is None and t["files"] == [f"{name}/data_0.parquet"], name
            continue
        assert t["partition_by"] == "quarter" and t["path"] == name
        dates = con.execute(f"SELECT DISTINCT {DATES[name]} FROM warehouse.main.{name}").fetchall()
        expected = {_quarter(d) if d else "unknown" for (d,) in dates}
        assert folders == {f"quarter={q}" for q in expected}, name
        assert expected == DEMO_QUARTERS, name  # the demo's eight quarters, no undated row
        # every row sits in its own date's quarter
        pairs = con.execute(f"SELECT DISTINCT {DATES[name]}, quarter FROM {_read(root, name)}").fetchall()
        assert all(q == _quarter(d) for d, q in pairs), name


def test_the_manifest(lake, con, published_demo):
    root, manifest = lake
    on_disk = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest["format"] == "pbi-lake/1" and manifest["source"] == "pbi.duckdb"
    created = dt.datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset() == dt.timedelta(hours=8)
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(hours=1)
    assert (
        manifest["load_batch"] == con.execute("SELECT max(batch_id) FROM warehouse.main.load_batches").fetchall()[0][0]
    )
    with duckdb.connect(str(scores_path(published_demo)), read_only=True) as scores:
        recorded = scores.execute("SELECT data_digest FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()[0][0]
    assert manifest["data_digest"] == recorded
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))
    assert sorted(f for t in manifest["tables"] for f in t["files"]) == written
    for t in manifest["tables"]:
        assert all(f.startswith(t["path"] + "/") for f in t["files"])
        assert sum(pq.ParquetFile(root / f).metadata.num_rows for f in t["files"]) == t["rows"]
        assert all(pq.ParquetFile(root / f).metadata.row_group(0).column(0).compression == "ZSTD" for f in t["files"])


def test_the_digest_is_of_the_rows_not_the_files(lake, con):
    root, manifest = lake
    tables = {t["name"]: t for t in manifest["tables"]}
    # By hand for a small table: one chunk, the rows as JSON objects in key order.
    rows = con.execute("SELECT grid_no, grid_id FROM warehouse.main.grid_registry ORDER BY grid_no").fetchall()
    text = "\n".join(json.dumps({"grid_no": n, "grid_id": g}, separators=(",", ":")) for n, g in rows)
    chunk = hashlib.sha256(text.encode()).hexdigest()
    assert tables["grid_registry"]["digest"] == hashlib.sha256(chunk.encode()).hexdigest()
    # The files read back give each table's digest (services: eight files, several chunks).
    keys = {"services": ["record_id"], "members": ["as_of", "member_no"], "grids": ["grid_id"]}
    for name, key in keys.items():
        columns = [c["name"] for c in tables[name]["columns"]]
        back = (
            f"SELECT * EXCLUDE (quarter) FROM {_read(root, name)}"
            if name in DATES
            else f"SELECT * FROM {_read(root, name)}"
        )
        assert table_digest(con, back, columns, key) == tables[name]["digest"], name


def test_exporting_again_gives_the_same_digests(lake, published_demo, tmp_path):
    root, first = lake
    again = export_lake(published_demo, root)  # replaces the lake written before
    elsewhere = export_lake(published_demo, tmp_path / "other")
    for m in (again, elsewhere):
        assert m["data_digest"] == first["data_digest"]
        assert [(t["name"], t["rows"], t["digest"]) for t in m["tables"]] == [
            (t["name"], t["rows"], t["digest"]) for t in first["tables"]
        ]
    assert sorted(p.name for p in root.parent.iterdir()) == ["lake"]  # no temporary folder left beside it


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_folder_that_is_not_a_lake_is_refused_and_left_untouched(published_demo, lake, tmp_path):
    user = tmp_path / "reports"
    (user / "2025").mkdir(parents=True)
    (user / "2025" / "notes.txt").write_text("第四季度", encoding="utf-8")
    (user / "manifest.json").write_text('{"format": "something else"}', encoding="utf-8")
    before = _snapshot(user)
    with pytest.raises(LakeRefused, match="not a lake written by this program"):
        export_lake(published_demo, user)
    assert _snapshot(user) == before
    # A lake of ours with a file added by someone else: not replaced either.
    ours = tmp_path / "lake"
    shutil.copytree(lake[0], ours)
    (ours / "services" / "mine.csv").write_text("x", encoding="utf-8")
    before = _snapshot(ours)
    with pytest.raises(LakeRefused, match="did not write"):
        export_lake(published_demo, ours)
    assert _snapshot(ours) == before
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(LakeRefused, match="not a folder"):
        export_lake(published_demo, tmp_path / "a-file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "lake", "reports"]  # nothing half-written
    (tmp_path / "empty").mkdir()  # an empty folder is taken
    assert export_lake(published_demo, tmp_path / "empty")["tables"]


def test_undated_rows_and_an_empty_fact_table(published_demo, tmp_path):
    db = tmp_path / "pbi.duckdb"
    shutil.copy(published_demo, db)
    with duckdb.connect(str(db)) as c:
        c.execute("DELETE FROM tasks")
        c.execute(
            "UPDATE meetings SET meeting_date = NULL WHERE meeting_id IN (SELECT meeting_id FROM meetings LIMIT 3)"
        )
    manifest = export_lake(db, tmp_path / "lake")
    tables = {t["name"]: t for t in manifest["tables"]}
    assert tables["tasks"]["rows"] == 0 and tables["tasks"]["files"] == ["tasks/quarter=unknown/data_0.parquet"]
    with duckdb.connect() as c:
        tasks = _read(tmp_path / "lake", "tasks")
        assert [n for n, _ in _described(c, tasks)] == [col["name"] for col in tables["tasks"]["columns"]] + ["quarter"]
        unknown = f"SELECT count(*) FROM {_read(tmp_path / 'lake', 'meetings')} WHERE quarter = 'unknown'"
        assert c.execute(unknown).fetchall()[0][0] == 3


def test_no_name_phone_or_id_in_the_lake(lake, con):
    root, manifest = lake
    assert {t["name"]: t["left_out"] for t in manifest["tables"] if t["left_out"]} == PERSONAL
    for f in root.rglob("*.parquet"):
        for column in pq.read_schema(f).names:
            assert not (column == "name" or column.endswith("_key") or "phone" in column or "masked" in column), f
    con.execute("""CREATE OR REPLACE TEMP TABLE personal AS
        SELECT DISTINCT v FROM (
            SELECT unnest([name, id_masked, phone_masked, member_key]) AS v FROM warehouse.main.members
            UNION ALL SELECT member_key FROM warehouse.main.services
            UNION ALL SELECT claimed_by_key FROM warehouse.main.demands)
        WHERE v IS NOT NULL""")
    assert con.execute("SELECT count(*) FROM personal").fetchall()[0][0] > 10_000
    for t in manifest["tables"]:
        back = _read(root, t["name"])
        for column, kind in _described(con, back):
            if kind == "VARCHAR":
                found = con.execute(f'SELECT count(*) FROM {back} WHERE "{column}" IN (SELECT v FROM personal)')
                assert found.fetchall()[0][0] == 0, (t["name"], column)


def test_the_command_writes_the_lake_and_the_audit_record(published_demo, tmp_path, capsys):
    out = tmp_path / "湖"
    assert main(["export", "lake", "--db", str(published_demo), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = sum(t["rows"] for t in manifest["tables"])
    said = capsys.readouterr().out
    assert f"{rows:,} 行" in said and "Parquet lake" in said
    log = audit.read(events=["export"])
    assert len(log) == 1
    entry = log.iloc[0]
    assert (entry["what"], entry["row_count"], entry["actor"].startswith("os:")) == ("lake", rows, True)
    detail = json.loads(entry["detail"])
    assert detail["sha256"] == hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert detail["data_digest"] == manifest["data_digest"] and detail["folder"] == str(out.resolve())
    assert detail["tables"] == {t["name"]: t["digest"] for t in manifest["tables"]}
    # Options of the CSV exports are refused, and nothing is written or recorded.
    with pytest.raises(SystemExit, match="--period"):
        main(["export", "lake", "--db", str(published_demo), "--out", str(tmp_path / "x"), "--period", "2025Q4"])
    assert not (tmp_path / "x").exists() and len(audit.read(events=["export"])) == 1


def test_a_spark_run_s_marts_move_into_the_lake_exported_again(published_demo, lake, tmp_path):
    """compute --engine spark writes LAKE/marts/run-N/: exporting the lake again keeps them (and
    nothing else that is not the export's own)."""
    ours = tmp_path / "lake"
    shutil.copytree(lake[0], ours)
    run = ours / "marts" / "run-3"
    (run / "unit_scores").mkdir(parents=True)
    (run / "unit_scores" / "part-0.parquet").write_bytes(b"PAR1")
    (run / "marts.json").write_text('{"format": "pbi-marts/1", "run_id": 3}', encoding="utf-8")
    before = _snapshot(ours / "marts")
    export_lake(published_demo, ours)
    assert _snapshot(ours / "marts") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake"]  # no temporary folder left beside it

"""`python -m pipelines export lake`: every published warehouse table the engine reads, as
Parquet (zstd) written by DuckDB's COPY, one folder per table — fact tables hive-partitioned by
the quarter of their own date — and manifest.json: columns and types, rows, a digest per table
over its rows, the load batch and the data digest a run records (docs/scale-out.md).

The lake is written into a temporary sibling folder and renamed into place, so a reader never
sees half of one; only an empty folder or a lake written here (and nothing else in it, but the
marts/ that compute --engine spark writes, which move into the new lake) is ever replaced.
Columns holding a person's name, phone or ID number (also as keyed hash or mask) are left out:
the engine reads none of them."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.engine.compute import CHINA, check_warehouse, data_digest, data_snapshot

FORMAT = "pbi-lake/1"
MANIFEST = "manifest.json"
# Where compute --engine spark writes each run's marts (pipelines/spark/compute.py): inside the
# lake, and carried into the new lake when the lake is exported again.
MARTS = "marts"
# The warehouse tables the engine reads (pipelines/sql/indices/*.sql; load_batches and
# load_files for a run's data snapshot in pipelines/engine/compute.py), each with its key:
# rows are written and digested in the key's order.
TABLES: dict[str, tuple[str, ...]] = {
    "grids": ("grid_id",),
    "grid_registry": ("grid_no",),
    "orgs": ("org_id",),
    "members": ("as_of", "member_no"),  # member_no is member_key's number (member_registry)
    "services": ("record_id",),
    "demands": ("ticket_id",),
    "meetings": ("meeting_id",),
    "tasks": ("task_id",),
    "load_batches": ("batch_id",),
    "load_files": ("file_id",),
}
# Fact tables, partitioned by the quarter of their own date (NULL: quarter=unknown).
QUARTER_OF = {"services": "service_date", "demands": "reported_at", "meetings": "meeting_date", "tasks": "due_date"}
# A person's name, phone or ID number (its keyed hash member_key / claimed_by_key and its mask):
# the engine works with member_no, so none of these leaves the warehouse.
PERSONAL = {
    "members": ("member_key", "id_masked", "name", "phone_masked"),
    "services": ("member_key",),
    "demands": ("claimed_by_key",),
}
FILE = "data_0.parquet"  # the file of an unpartitioned table (DuckDB's own name for a partition's file)
CHUNK = 65536  # rows per digest chunk: a table's digest never holds all its rows' text at once


class LakeRefused(RuntimeError):
    """The target exists and is not ours to replace (a file, a foreign folder, a lake with other files in it)."""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quarter_of(column: str) -> str:
    """SQL for the quarter ('2025Q1') of a DATE or TIMESTAMP column, 'unknown' when NULL."""
    c = ident(column)
    quarter = f"CAST(year({c}) AS VARCHAR) || 'Q' || CAST(quarter({c}) AS VARCHAR)"
    return f"CASE WHEN {c} IS NULL THEN 'unknown' ELSE {quarter} END"


def table_digest(con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """sha256 over the rows of `relation` (SQL) as JSON objects of `columns`, ordered by `key`
    (then the row itself, should keys repeat): independent of how the rows are split in files.
    Hashed in chunks of CHUNK rows, then the chunks' hashes in order."""
    row = "to_json({" + ", ".join(f"{_literal(c)}: {ident(c)}" for c in columns) + "})"
    order = ", ".join([*(ident(k) for k in key), "_pbi_row"])
    sql = f"""WITH numbered AS (
        SELECT _pbi_row, row_number() OVER (ORDER BY {order}) - 1 AS _pbi_i
        FROM (SELECT *, {row} AS _pbi_row FROM ({relation}))
    ), chunks AS (
        SELECT _pbi_i // {CHUNK} AS c, sha256(string_agg(_pbi_row, chr(10) ORDER BY _pbi_i)) AS h
        FROM numbered GROUP BY c
    )
    SELECT sha256(coalesce(string_agg(h, chr(10) ORDER BY c), '')) FROM chunks"""
    return con.execute(sql).fetchall()[0][0]


def export_lake(db: Path, out: Path) -> dict:
    """Write the lake of the warehouse `db` to the folder `out`; returns the manifest (also
    out/manifest.json). Refuses (LakeRefused) an `out` that is neither absent, empty nor a lake
    written here; raises StaleWarehouse for a warehouse loaded by an older version."""
    db, out = Path(db), Path(out)
    if not db.exists():
        raise FileNotFoundError(db)
    _replaceable(out)  # refused before any work
    out.parent.mkdir(parents=True, exist_ok=True)
    # Owner-only (mkdtemp): the lake holds members' records, though without names or IDs.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        with _connect(db) as con:
            manifest = _write(con, db, tmp)
        text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        (tmp / MANIFEST).write_text(text, encoding="utf-8")
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse attached read-only as `warehouse` (as the engine attaches it)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_literal(str(db))} AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        check_warehouse(con)
    except BaseException:
        con.close()
        raise
    return con


def _write(con: duckdb.DuckDBPyConnection, db: Path, root: Path) -> dict:
    batch, files = data_snapshot(con)
    present = {
        t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'warehouse'").fetchall()
    }
    return {
        "format": FORMAT,
        "created_at": dt.datetime.now(CHINA).isoformat(timespec="seconds"),
        "source": db.name,
        "load_batch": batch,
        "data_digest": data_digest(files),
        # A table an older warehouse lacks (the task list before v1.1) is not in the lake.
        "tables": [_table(con, name, key, root) for name, key in TABLES.items() if name in present],
    }


def _table(con: duckdb.DuckDBPyConnection, name: str, key: tuple[str, ...], root: Path) -> dict:
    source = f"warehouse.main.{ident(name)}"
    described = con.execute(f"DESCRIBE {source}").fetchall()  # (name, type, ...) in table order
    left_out = [c for c, *_ in described if c in PERSONAL.get(name, ())]
    columns = [{"name": c, "type": t} for c, t, *_ in described if c not in left_out]
    names = [c["name"] for c in columns]
    select = f"SELECT {', '.join(ident(c) for c in names)} FROM {source}"
    order = ", ".join(ident(k) for k in key)
    rows = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    folder = root / name
    date = QUARTER_OF.get(name)
    options = "FORMAT parquet, COMPRESSION zstd"
    if date and rows:
        partitioned = f"SELECT *, {quarter_of(date)} AS quarter FROM ({select}) ORDER BY {order}"
        con.execute(f"COPY ({partitioned}) TO {_literal(str(folder))} ({options}, PARTITION_BY (quarter))")
    else:
        # An empty fact table still gets a file (quarter=unknown): readers find its columns.
        target = folder / "quarter=unknown" if date else folder
        target.mkdir(parents=True)
        con.execute(f"COPY ({select} ORDER BY {order}) TO {_literal(str(target / FILE))} ({options})")
    return {
        "name": name,
        "path": name,
        "partition_by": "quarter" if date else None,
        "columns": columns,
        "rows": rows,
        "digest": table_digest(con, select, names, key),
        "files": sorted(p.relative_to(root).as_posix() for p in folder.rglob("*.parquet")),
        "left_out": left_out,
    }


def _replaceable(out: Path) -> str:
    """'new' (absent), 'empty' (an empty folder) or 'lake' (a lake written here, holding only
    its own files); anything else is refused, never deleted."""
    if not out.exists() and not out.is_symlink():
        return "new"
    if out.is_symlink() or not out.is_dir():
        raise LakeRefused(f"{out}: 已存在且不是文件夹 (exists and is not a folder)")
    if not any(out.iterdir()):
        return "empty"
    try:
        old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = None
    if not isinstance(old, dict) or old.get("format") != FORMAT:
        raise LakeRefused(
            f"{out}: 文件夹非空且不是本程序导出的数据湖，未作改动 "
            "(not empty and not a lake written by this program: left untouched; choose another folder)"
        )
    ours = {MANIFEST} | {f for t in old.get("tables", []) for f in t.get("files", [])}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if rel.startswith(f"{MARTS}/"):  # runs computed on Spark from the lake: carried over, never deleted
            continue
        if (p.is_symlink() or not p.is_dir()) and rel not in ours:
            raise LakeRefused(
                f"{out}: 数据湖中有不是导出写入的文件，未作改动 "
                f"(holds a file the export did not write, {p.relative_to(out)}: left untouched)"
            )
    return "lake"


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished lake `tmp` in place of `out` (checked again: minutes may have passed)."""
    state = _replaceable(out)
    if state == "lake":
        if (out / MARTS).is_dir():  # each run's marts.json names the data digest it was computed from
            os.rename(out / MARTS, tmp / MARTS)
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.rename(out, old / out.name)
        os.rename(tmp, out)
        shutil.rmtree(old)
    else:
        if state == "empty":
            out.rmdir()
        os.rename(tmp, out)

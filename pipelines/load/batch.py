"""One load batch: recognise, stage, validate, upsert, quarantine, reconcile, publish.

The batch works on a copy of the published database and replaces it with os.replace only
when everything succeeded, so a failed or killed load leaves the published file as it was,
and readers holding it open keep working.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import os
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.duck import scalar
from pipelines.load import contract, geometry, reading, secret
from pipelines.load.reading import FileError, Source
from pipelines.publish import publishing

SQL = Path(__file__).resolve().parent.parent / "sql"
REASONS = Path(__file__).resolve().parent.parent / "config" / "reasons.toml"
# Processing order: what a kind refers to is validated before it.
ORDER = ["grids", "geometry", "orgs", "members", "services", "demands", "meetings"]
MART = {"geometry": "grid_geometry"}
# Keys in the marts where they differ from the contract's (the ID number is stored as its hash).
MART_KEY = {"geometry": ("grid_id",), "members": ("as_of", "member_key")}
# What a key conflict shows: (field for the header, column for the value). A roster's key
# is a hash; the user recognises the masked ID number.
CONFLICT_SHOWS = {"members": ("id_number", "id_masked")}
# Registries give each member key and grid code a small integer once (marts/registry.sql),
# filled in after the kind they number has been checked: kind → (registry, key, number, known).
REGISTRIES = {
    "grids": ("grid_registry", "grid_id", "grid_no", "int_known_grids"),
    "members": ("member_registry", "member_key", "member_no", "int_known_members"),
}
# Marts carry the numbers beside the keys: (number column, key column, registry kind).
NUMBERED = {
    "members": [("member_no", "member_key", "members"), ("grid_no", "grid_id", "grids")],
    "services": [("member_no", "member_key", "members")],
    "demands": [("claimed_by_no", "claimed_by_key", "members")],
}
KNOWN_AFTER = {"grids": "int_known_grids", "orgs": "int_known_orgs", "members": "int_known_members"}
GEOMETRY_FIELDS = ["grid_id", "geometry", "geom_type", "geom_ok"]


PROFILE = bool(os.environ.get("PBI_LOAD_PROFILE"))


@contextlib.contextmanager
def phase(name: str):
    """Time a phase of the load (printed with PBI_LOAD_PROFILE=1)."""
    started = time.perf_counter()
    yield
    if PROFILE:
        print(f"  [{time.perf_counter() - started:7.2f} s] {name}", file=sys.stderr)


class LoadError(Exception):
    """The batch was refused; nothing was published."""


@dataclass
class FileResult:
    file: str
    kind: str
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    unchanged: int = 0
    status: str = "loaded"


@dataclass
class BatchResult:
    batch_id: int
    files: list[FileResult] = field(default_factory=list)
    released: int = 0  # earlier quarantined rows loaded now
    superseded: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    published: bool = False

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files if f.status != "unchanged")


def expand(paths: list[Path]) -> list[Path]:
    """Files under the given paths; names starting with _ or . are not data."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith(("_", ".")) for part in rel):
                    out.append(f)
        elif p.is_file():
            out.append(p)
        else:
            raise LoadError(f"{p}: 文件或目录不存在 (no such file or folder)")
    return out


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _sql(con: duckdb.DuckDBPyConnection, rel: str, **fmt: str) -> None:
    text = (SQL / rel).read_text(encoding="utf-8")
    # PBI_LOAD_EXPLAIN=int_outcome.sql:services writes that statement's profile to the temp folder.
    explain = os.environ.get("PBI_LOAD_EXPLAIN", "\0") in f"{rel}:{fmt.get('kind', '')}"
    if explain:
        out = Path(tempfile.gettempdir()) / f"pbi-explain-{rel.replace('/', '_')}-{fmt.get('kind', '')}.txt"
        con.execute(f"SET enable_profiling = 'query_tree_optimizer'; SET profiling_output = '{out}'")
    with phase(f"  {rel}"):
        con.execute(text.format(**fmt) if fmt else text)
    if explain:
        con.execute("SET enable_profiling = 'no_output'")


def _reference_tables(con: duckdb.DuckDBPyConnection, kinds: dict[str, contract.Kind]) -> None:
    reasons = tomllib.loads(REASONS.read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TEMP TABLE rule_reasons (rule VARCHAR, zh VARCHAR, en VARCHAR)")
    con.executemany("INSERT INTO rule_reasons VALUES (?, ?, ?)", [(k, v["zh"], v["en"]) for k, v in reasons.items()])
    con.execute("CREATE OR REPLACE TEMP TABLE code_values (kind VARCHAR, field VARCHAR, value VARCHAR)")
    codes = [(k.name, c.field, v) for k in kinds.values() for c in k.columns.values() for v in c.values]
    con.executemany("INSERT INTO code_values VALUES (?, ?, ?)", codes)
    con.execute("CREATE OR REPLACE TEMP TABLE field_headers (kind VARCHAR, field VARCHAR, header VARCHAR)")
    headers = [(k.name, c.field, c.header) for k in kinds.values() for c in k.columns.values()]
    headers += [("geometry", "grid_id", "网格编码"), ("geometry", "geometry", "geometry")]
    con.executemany("INSERT INTO field_headers VALUES (?, ?, ?)", headers)


def _raw_tables(con: duckdb.DuckDBPyConnection, kinds: dict[str, contract.Kind]) -> None:
    for name in ORDER:
        fields = GEOMETRY_FIELDS if name == "geometry" else list(kinds[name].columns)
        cols = ", ".join(f"{f} {'BOOLEAN' if f == 'geom_ok' else 'VARCHAR'}" for f in fields)
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw_{name} (_file_id INTEGER, _row INTEGER, {cols})")


def _process_kind(con, name: str, key: tuple[str, ...], batch_id: int) -> list[tuple]:
    """staging → intermediate → mart for one kind, including retried quarantine rows."""
    mart = MART.get(name, name)
    _sql(con, f"staging/stg_{name}.sql")
    con.execute(f"ALTER TABLE stg_{name} ADD COLUMN _retry BOOLEAN DEFAULT false")
    structure = {r[0]: r[1] for r in con.execute(f"DESCRIBE stg_{name}").fetchall()}
    json_structure = "{" + ", ".join(f'"{c}": "{t}"' for c, t in structure.items()) + "}"
    with phase("    retry rows"):
        con.execute(
            f"""INSERT INTO stg_{name} BY NAME
        SELECT * EXCLUDE (_retry), true AS _retry
        FROM (SELECT unnest(from_json(staged, '{json_structure}')) FROM quarantine
              WHERE kind = ? AND rule <> 'duplicate_row')""",
            [name],
        )
    _sql(con, f"intermediate/int_{name}_checked.sql")
    if name in KNOWN_AFTER:
        _sql(con, f"intermediate/{KNOWN_AFTER[name]}.sql")
    if name in REGISTRIES:
        registry, registry_key, number, known = REGISTRIES[name]
        _sql(con, "marts/registry.sql", registry=registry, key=registry_key, number=number, known=known)
    _sql(con, f"marts/{mart}.sql")
    typed = [r[0] for r in con.execute(f"DESCRIBE int_{name}_typed").fetchall()]
    content = [c for c in typed if c not in ("_file_id", "_row", "_retry", "_fail")]
    keys = ", ".join(key)

    def match(alias: str, other: str) -> str:
        return " AND ".join(f"{alias}.{k} = {other}.{k}" for k in key)

    _sql(
        con,
        "intermediate/int_outcome.sql",
        kind=name,
        mart=mart,
        key=keys,
        content=", ".join(content),
        key_match_kr=match("k", "r"),
        key_match_mr=match("m", "r"),
    )
    out = f"int_{name}_outcome"
    _sql(
        con,
        "marts/upsert.sql",
        kind=name,
        mart=mart,
        columns=", ".join(content),
        batch_id=str(batch_id),
        key_match_mo=match(mart, "o"),
        o_columns=", ".join(f"o.{c}" for c in content),
        numbered_column="".join(f", {n[0]}" for n in NUMBERED.get(name, [])),
        numbered="".join(f", r{i}.{REGISTRIES[n[2]][2]}" for i, n in enumerate(NUMBERED.get(name, []))),
        numbered_join="".join(
            f" LEFT JOIN {REGISTRIES[n[2]][0]} r{i} ON r{i}.{REGISTRIES[n[2]][1]} = o.{n[1]}"
            for i, n in enumerate(NUMBERED.get(name, []))
        ),
    )
    conflict_field, conflict_value = CONFLICT_SHOWS.get(name, (key[-1], key[-1]))
    _sql(
        con,
        "marts/quarantine_upsert.sql",
        kind=name,
        batch_id=str(batch_id),
        conflict_field=conflict_field,
        conflict_value=conflict_value,
    )
    with phase("    counts"):
        counts = con.execute(f"SELECT _file_id, _retry, outcome, count(*) FROM {out} GROUP BY ALL").fetchall()
    # Free this kind's working tables before the next kind (memory stays bounded).
    for stmt in (
        f"DROP VIEW int_{name}_typed",
        f"DROP TABLE {out}",
        f"DROP VIEW int_{name}_checked",
        f"DROP TABLE stg_{name}",
        f"DROP TABLE raw_{name}",
    ):
        con.execute(stmt)
    return counts


def load(
    paths: list[Path],
    db: Path,
    kind: str | None = None,
    as_of: dt.date | None = None,
    strict: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> BatchResult:
    kinds = contract.load()
    if kind and kind not in kinds and kind != "geometry":
        raise LoadError(f"--kind {kind}: 未知类型 (unknown kind); 可选 (known): {', '.join(ORDER)}")
    files = expand(paths)
    if not files:
        raise LoadError("没有找到要加载的文件 (no files to load)")
    started = dt.datetime.now()
    sources: list[Source] = []
    try:
        with phase("recognise files"):
            for f in files:
                sources.append(reading.open_source(f, kinds, kind))
    except FileError as e:
        raise LoadError(f"{e}\n本批次未发布任何数据 (nothing of this batch was published)") from e

    with publishing(db) as building, tempfile.TemporaryDirectory(prefix="pbi-load-") as work:
        result = _run(building, Path(work), sources, kinds, kind, as_of or started.date(), strict, started, progress)
        if strict and result.quarantined:
            raise LoadError(f"--strict: {result.quarantined} 行被隔离，未发布 (rows quarantined; nothing published)")
    result.published = True
    return result


PREFETCH = 4  # workbooks parsed ahead of staging at most (memory stays bounded)


def _prepare(src: Source, kinds, forced, work: Path, fid: int):
    """The slow, GIL-free-or-Python part of reading a file, done ahead in a thread:
    parse a workbook to Arrow, or transcode a GB18030 CSV to UTF-8."""
    if src.kind is None:
        return reading.read_spreadsheet(src.path, kinds, forced)
    utf8 = work / f"transcoded_{fid}.csv"
    reading.transcode(src.path, src.encoding, utf8)
    return src, utf8


def _stage_all(con, todo, kinds, forced, work: Path, staged: dict, progress, batch_id: int) -> None:
    """Stage every new file. Workbooks are parsed and GB18030 files transcoded in two threads
    (calamine and DuckDB release the GIL) while DuckDB stages the files that are ready."""
    slow = collections.deque(t for t in todo if t[0].kind is None or t[0].encoding not in (None, "utf-8", "utf-8-sig"))
    ready = collections.deque(t for t in todo if t not in slow)
    inflight: collections.deque = collections.deque()
    done = 0

    def finish(src: Source, fr: FileResult, digest: str, fid: int, rows: int) -> None:
        nonlocal done
        fr.rows_read, fr.kind = rows, src.kind.name
        con.execute(
            "INSERT INTO load_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [fid, src.path.name, str(src.path), digest, src.kind.name, src.path.stat().st_size, batch_id],
        )
        staged[fid] = (src, fr, digest)
        done += 1
        if progress:
            progress(src.path.name, done, len(todo))

    def stage_csv(src: Source, fid: int, path: Path | None = None) -> int:
        try:
            with phase(f"stage {src.path.name}"):
                return reading.stage(con, src, fid, f"raw_{src.kind.name}", path)
        except duckdb.Error as e:
            raise LoadError(
                f"{src.path.name}: 文件无法读取 (unreadable file): {e}\n"
                "本批次未发布任何数据 (nothing of this batch was published)"
            ) from e

    with ThreadPoolExecutor(2) as pool:

        def fill() -> None:
            while slow and len(inflight) < PREFETCH:
                item = slow.popleft()
                inflight.append((item, pool.submit(_prepare, item[0], kinds, forced, work, item[3])))

        fill()
        while inflight or ready:
            if inflight and (inflight[0][1].done() or not ready):
                (src, fr, digest, fid), future = inflight.popleft()
                try:
                    prepared = future.result()
                except FileError as e:
                    raise LoadError(f"{e}\n本批次未发布任何数据 (nothing of this batch was published)") from e
                fill()
                if isinstance(prepared[1], Path):  # a transcoded CSV
                    rows = stage_csv(src, fid, prepared[1])
                    prepared[1].unlink()
                else:
                    src, data = prepared
                    with phase(f"stage {src.path.name}"):
                        rows = reading.insert_sheet(con, f"raw_{src.kind.name}", fid, data)
                    del data, prepared
                finish(src, fr, digest, fid, rows)
            else:
                src, fr, digest, fid = ready.popleft()
                finish(src, fr, digest, fid, stage_csv(src, fid))


def _run(
    path: Path,
    work: Path,
    sources: list[Source],
    kinds,
    forced: str | None,
    as_of: dt.date,
    strict: bool,
    started: dt.datetime,
    progress,
) -> BatchResult:
    con = duckdb.connect(str(path))
    try:
        con.execute(f"SET temp_directory = '{work}'")
        # Bounded memory: DuckDB spills to the work folder beyond this.
        con.execute(f"SET memory_limit = '{os.environ.get('PBI_LOAD_MEMORY', '1500MB')}'")
        _reference_tables(con, kinds)
        _sql(con, "macros.sql")
        for mart in (
            "grids",
            "grid_geometry",
            "orgs",
            "members",
            "services",
            "demands",
            "meetings",
            "load_ledger",
            "quarantine",
        ):
            con.execute((SQL / f"marts/{mart}.sql").read_text(encoding="utf-8").split("CREATE OR REPLACE TEMP VIEW")[0])
        con.execute("SET VARIABLE pbi_secret = ?", [secret.member_key_secret()])
        con.execute("SET VARIABLE pbi_as_of = ?", [as_of.isoformat()])
        _raw_tables(con, kinds)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE quarantine_before AS SELECT file_id, row, first_batch FROM quarantine"
        )
        batch_id = scalar(con, "SELECT coalesce(max(batch_id), 0) + 1 FROM load_batches")
        result = BatchResult(batch_id)

        known = {
            h: (fid, k) for fid, h, k in con.execute("SELECT file_id, content_hash, kind FROM load_files").fetchall()
        }
        next_id = scalar(con, "SELECT coalesce(max(file_id), 0) + 1 FROM load_files")
        staged: dict[int, tuple[Source, FileResult, str]] = {}
        todo: list[tuple[Source, FileResult, str, int]] = []
        seen: set[str] = set()
        for src in sources:
            with phase(f"hash {src.path.name}"):
                digest = file_hash(src.path)
            fr = FileResult(src.path.name, src.kind.name if src.kind else "")
            result.files.append(fr)
            if digest in known or digest in seen:
                fr.kind = fr.kind or (known[digest][1] if digest in known else "")
                _record_unchanged(con, fr, known.get(digest, (None, None))[0], digest, batch_id)
                continue
            seen.add(digest)
            todo.append((src, fr, digest, next_id))  # file ids follow the order files were given
            next_id += 1
        _stage_all(con, todo, kinds, forced, work, staged, progress, batch_id)
        _sql(con, "staging/stg_id_numbers.sql")
        counts = []
        for name in ORDER:
            with phase(f"process {name}"):
                counts += _process_kind(con, name, MART_KEY.get(name) or kinds[name].key, batch_id)

        per_file: dict[int, dict[str, int]] = {}
        for fid, retry, outcome, n in counts:
            if retry:
                if outcome in ("new", "changed"):
                    result.released += n
                elif outcome == "superseded":
                    result.superseded += n
                continue
            per_file.setdefault(fid, {}).setdefault(outcome, 0)
            per_file[fid][outcome] += n
        now = dt.datetime.now()
        for fid, (_src, fr, digest) in staged.items():
            c = per_file.get(fid, {})
            fr.loaded = c.get("new", 0) + c.get("changed", 0)
            fr.quarantined = c.get("quarantined", 0) + c.get("duplicate", 0) + c.get("conflict", 0)
            fr.unchanged = c.get("unchanged", 0) + c.get("repeat", 0)
            con.execute(
                "INSERT INTO load_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    batch_id,
                    fid,
                    fr.file,
                    digest,
                    fr.kind,
                    fr.rows_read,
                    fr.loaded,
                    fr.quarantined,
                    fr.unchanged,
                    fr.status,
                    now,
                ],
            )
        # Top reasons: the reason with its column named but without the individual values
        # (a parenthesis holding the value goes with it).
        result.top_reasons = con.execute(
            r"""SELECT regexp_replace(regexp_replace(replace(r.zh, '{header}', coalesce(q.header, '')),
                          '（[^（）]*\{value\}[^（）]*）', ''), '[：:]?\s*\{value\}', '')
                      || ' (' || r.en || ')', count(*)
            FROM quarantine q JOIN rule_reasons r USING (rule)
            WHERE q.last_batch = ? GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 5""",
            [batch_id],
        ).fetchall()
        with phase("unit geometry"):  # derived from grids and their boundaries: rebuilt whole
            geometry.build(con)
        con.execute(
            "INSERT INTO load_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, started, dt.datetime.now(), as_of, strict, len(sources), result.released, result.superseded],
        )
        with phase("checkpoint"):
            con.execute("CHECKPOINT")
        return result
    finally:
        con.close()


def _record_unchanged(con, fr: FileResult, fid: int | None, digest: str, batch_id: int) -> None:
    """A file loaded before: nothing changes; the ledger says so with the file's counts."""
    fr.status = "unchanged"
    if fid is None:  # the same content twice in this batch
        fr.status = "unchanged"
        return
    fr.rows_read = scalar(
        con, "SELECT coalesce(min_by(rows_read, batch_id), 0) FROM load_ledger WHERE file_id = ?", [fid]
    )
    fr.quarantined = scalar(con, "SELECT count(*) FROM quarantine WHERE file_id = ?", [fid])
    fr.unchanged = fr.rows_read - fr.quarantined
    con.execute(
        "INSERT INTO load_ledger VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 'unchanged', ?)",
        [batch_id, fid, fr.file, digest, fr.kind, fr.rows_read, fr.quarantined, fr.unchanged, dt.datetime.now()],
    )


def quarantine_frame(db: Path, scope: str = "") -> pd.DataFrame:
    """Every quarantined row in the scope (see access.scope): file,row,kind,column,value,reason
    (row as a user sees it; ID numbers and phones masked by the loader)."""
    from pipelines.access.scope import QUARANTINE_IN_SCOPE, quarantine_args

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"""SELECT f.file_name AS file, q.row, q.kind, q.header AS column, q.value, q.reason
            FROM quarantine q JOIN load_files f USING (file_id) WHERE {QUARANTINE_IN_SCOPE}
            ORDER BY f.file_name, q.row""",
            quarantine_args(scope),
        ).df()

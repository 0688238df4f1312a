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
import json
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.duck import scalar
from pipelines.load import contract, geometry, reading, secret
from pipelines.load import plan as load_plan
from pipelines.load.plan import SQL, KindPlan, Plan
from pipelines.load.reading import FileError, Source
from pipelines.publish import publishing

REASONS = Path(__file__).resolve().parent.parent / "config" / "reasons.toml"


@contextlib.contextmanager
def phase(name: str):
    """Time a phase of the load (printed with PBI_LOAD_PROFILE=1, read when used: the bench sets it)."""
    started = time.perf_counter()
    yield
    if settings.load_profile():
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


def _sql(con: duckdb.DuckDBPyConnection, rel: str, fmt: dict | None = None, kind: str = "") -> None:
    """Run the SQL file `rel` (under pipelines/sql/), its {placeholders} filled from `fmt`."""
    text = (SQL / rel).read_text(encoding="utf-8")
    kind = (fmt or {}).get("kind", kind)
    # PBI_LOAD_EXPLAIN=int_outcome.sql:services writes that statement's profile to the temp folder.
    explain = (settings.load_explain() or "\0") in f"{rel}:{kind}"
    if explain:
        out = Path(tempfile.gettempdir()) / f"pbi-explain-{rel.replace('/', '_')}-{kind}.txt"
        con.execute(f"SET enable_profiling = 'query_tree_optimizer'; SET profiling_output = '{out}'")
    with phase(f"  {rel}"):
        con.execute(text.format(**fmt) if fmt else text)
    if explain:
        con.execute("SET enable_profiling = 'no_output'")


def _reference_tables(con: duckdb.DuckDBPyConnection, kinds: dict[str, contract.Kind], plan: Plan) -> None:
    reasons = tomllib.loads(REASONS.read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TEMP TABLE rule_reasons (rule VARCHAR, zh VARCHAR, en VARCHAR)")
    con.executemany("INSERT INTO rule_reasons VALUES (?, ?, ?)", [(k, v["zh"], v["en"]) for k, v in reasons.items()])
    con.execute("CREATE OR REPLACE TEMP TABLE code_values (kind VARCHAR, field VARCHAR, value VARCHAR)")
    codes = [(k.name, c.field, v) for k in kinds.values() for c in k.columns.values() for v in c.values]
    con.executemany("INSERT INTO code_values VALUES (?, ?, ?)", codes)
    con.execute("CREATE OR REPLACE TEMP TABLE field_headers (kind VARCHAR, field VARCHAR, header VARCHAR)")
    headers = [(k.name, c.field, c.header) for k in kinds.values() for c in k.columns.values()]
    headers += [(k.name, f, header) for k in plan.kinds for f, header in k.headers]
    con.executemany("INSERT INTO field_headers VALUES (?, ?, ?)", headers)


def _raw_tables(con: duckdb.DuckDBPyConnection, kinds: dict[str, contract.Kind], plan: Plan) -> None:
    """A raw table per kind: the contract's fields as text, or the plan's file for a kind outside it."""
    for k in plan.kinds:
        if k.raw:
            _sql(con, k.raw, kind=k.name)
            continue
        cols = ", ".join(f"{f} VARCHAR" for f in kinds[k.name].columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw_{k.name} (_file_id INTEGER, _row INTEGER, {cols})")


def _process_kind(con, k: KindPlan, plan: Plan) -> list[tuple]:
    """staging → intermediate → mart for one kind, including retried quarantine rows (the
    files the plan names, in the order docs/loader-plan.md gives)."""
    name = k.name
    each = {"kind": name, "mart": k.mart, "key": k.key}
    _sql(con, k.staging, kind=name)
    structure = {r[0]: r[1] for r in con.execute(f"DESCRIBE stg_{name}").fetchall()}
    _sql(con, plan.retry, each | {"structure": json.dumps(structure)})
    for rel in (k.checks, k.known, k.registry, k.typed):
        if rel:
            _sql(con, rel, kind=name)
    out = f"int_{name}_outcome"
    _sql(con, plan.outcome, each)
    _sql(con, plan.replace, each)
    _sql(con, k.publish, each)
    _sql(con, plan.unquarantine, each)
    _sql(con, plan.quarantine, each | {"conflict_field": k.conflict_field, "conflict_column": k.conflict_column})
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
    plan = load_plan.load(kinds)
    if kind and kind not in plan.names:
        raise LoadError(f"--kind {kind}: 未知类型 (unknown kind); 可选 (known): {', '.join(plan.names)}")
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

    with publishing(db) as building, reading.work_folder(db) as work:
        result = _run(
            building, Path(work), sources, kinds, plan, kind, as_of or started.date(), strict, started, progress
        )
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

    def finish(src: Source, fr: FileResult, digest: str, fid: int, rows: int, bad_lines: int = 0) -> None:
        nonlocal done
        fr.rows_read, fr.kind = rows, src.kind.name
        fr.quarantined = bad_lines  # lines quarantined whole while reading; rows' outcomes add to it
        con.execute(
            "INSERT INTO load_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [fid, src.path.name, str(src.path), digest, src.kind.name, src.path.stat().st_size, batch_id],
        )
        staged[fid] = (src, fr, digest)
        done += 1
        if progress:
            progress(src.path.name, done, len(todo))

    def stage_csv(src: Source, fid: int, path: Path | None = None) -> reading.Staged:
        try:
            with phase(f"stage {src.path.name}"):
                return reading.stage(con, src, fid, f"raw_{src.kind.name}", path, work)
        except (duckdb.Error, FileError) as e:
            # DuckDB's text may quote a line of the file (ID numbers, names): never shown.
            why = str(e) if isinstance(e, FileError) else f"{src.path.name}: 文件无法读取 (unreadable file)"
            raise LoadError(f"{why}\n本批次未发布任何数据 (nothing of this batch was published)") from e

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
                    staged_csv = stage_csv(src, fid, prepared[1])
                    prepared[1].unlink()
                    finish(src, fr, digest, fid, staged_csv.rows, staged_csv.bad_lines)
                else:
                    src, data = prepared
                    with phase(f"stage {src.path.name}"):
                        rows = reading.insert_sheet(con, f"raw_{src.kind.name}", fid, data)
                    del data, prepared
                    finish(src, fr, digest, fid, rows)
            else:
                src, fr, digest, fid = ready.popleft()
                staged_csv = stage_csv(src, fid)
                finish(src, fr, digest, fid, staged_csv.rows, staged_csv.bad_lines)


def _run(
    path: Path,
    work: Path,
    sources: list[Source],
    kinds,
    plan: Plan,
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
        con.execute(f"SET memory_limit = '{settings.load_memory()}'")
        _reference_tables(con, kinds, plan)
        for rel in plan.setup:
            _sql(con, rel)
        con.execute("SET VARIABLE pbi_secret = ?", [secret.member_key_secret()])
        con.execute("SET VARIABLE pbi_as_of = ?", [as_of.isoformat()])
        _raw_tables(con, kinds, plan)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE quarantine_before AS SELECT file_id, row, first_batch FROM quarantine"
        )
        batch_id = scalar(con, "SELECT coalesce(max(batch_id), 0) + 1 FROM load_batches")
        con.execute("SET VARIABLE pbi_batch_id = CAST(? AS INTEGER)", [batch_id])
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
        for rel in plan.staged:
            _sql(con, rel)
        counts = []
        for k in plan.kinds:
            with phase(f"process {k.name}"):
                counts += _process_kind(con, k, plan)

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
            fr.quarantined += c.get("quarantined", 0) + c.get("duplicate", 0) + c.get("conflict", 0)
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

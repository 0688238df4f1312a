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
from pipelines.load import contract, reading, secret
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
    top_reasons: list[tuple[str, int]] = field(default_factory=list)  # of this batch's own rows
    retried_still: int = 0  # earlier quarantined rows retried now and quarantined still
    notices: list[str] = field(default_factory=list)  # what the user should know beyond the counts
    published: bool = False

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files if f.status != "unchanged")


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
        con.execute("SET enable_profiling = 'query_tree_optimizer'")
        con.execute("SET profiling_output = ?", [str(out)])
    with phase(f"  {rel}"):
        con.execute(text.format(**fmt) if fmt else text)
    if explain:
        con.execute("SET enable_profiling = 'no_output'")


def _reference_tables(con: duckdb.DuckDBPyConnection, kinds: dict[str, contract.Kind], plan: Plan) -> None:
    reasons = tomllib.loads(REASONS.read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TEMP TABLE rule_reasons (rule VARCHAR, zh VARCHAR, en VARCHAR)")
    _insert_rows(con, "rule_reasons", [(k, v["zh"], v["en"]) for k, v in reasons.items()])
    con.execute("CREATE OR REPLACE TEMP TABLE code_values (kind VARCHAR, field VARCHAR, value VARCHAR)")
    _insert_rows(
        con, "code_values", [(k.name, c.field, v) for k in kinds.values() for c in k.columns.values() for v in c.values]
    )
    con.execute("CREATE OR REPLACE TEMP TABLE field_limits (kind VARCHAR, field_name VARCHAR, largest DOUBLE)")
    limits = [(k.name, c.field, float(c.max)) for k in kinds.values() for c in k.columns.values() if c.max is not None]
    _insert_rows(con, "field_limits", limits)
    con.execute("CREATE OR REPLACE TEMP TABLE field_headers (kind VARCHAR, field VARCHAR, header VARCHAR)")
    headers = [(k.name, c.field, c.header) for k in kinds.values() for c in k.columns.values()]
    headers += [(k.name, f, header) for k in plan.kinds for f, header in k.headers]
    _insert_rows(con, "field_headers", headers)


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Insert Python rows in one statement, a list per column (executemany runs one per row)."""
    if rows:
        columns = [list(c) for c in zip(*rows, strict=True)]
        unnested = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
        con.execute(f"INSERT INTO {table} SELECT {unnested}", columns)


def _date_window(con: duckdb.DuckDBPyConnection, as_of: dt.date, today: dt.date) -> None:
    """The dates a row may bear (contract.toml [dates]): from the earliest to the day of the
    load, or to --as-of where that is later (a snapshot dated ahead on purpose)."""
    window = contract.date_window()
    con.execute("SET VARIABLE pbi_earliest = CAST(? AS DATE)", [window.earliest])
    con.execute("SET VARIABLE pbi_earliest_birth = CAST(? AS DATE)", [window.earliest_birth])
    con.execute("SET VARIABLE pbi_latest = CAST(? AS DATE)", [max(as_of, today)])


def _upgrade(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Bring a warehouse published before a column existed up to date (the plan's
    [batch.upgrade]): binding the column is the test, as the engine's warehouse check does."""
    for table, column, files in plan.upgrade:
        try:
            con.execute(f"SELECT {column} FROM {table} LIMIT 0")
        except duckdb.BinderException:
            for rel in files:
                _sql(con, rel)


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
    if not scalar(con, f"SELECT count(*) FROM (SELECT 1 FROM stg_{name} LIMIT 1)"):
        # No file of this kind in the batch and nothing of it to retry: its outcome would be
        # empty, so nothing of it is published, replaced or quarantined. Only what later kinds
        # read is made: its known keys (from what is published) and any registry numbers due.
        for rel in (k.checks, k.known, k.registry):
            if rel:
                _sql(con, rel, kind=name)
        _drop_working(con, name, idle=True)
        return []
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
    _drop_working(con, name)
    return counts


def _drop_working(con, name: str, idle: bool = False) -> None:
    """Free a kind's working tables before the next kind (memory stays bounded)."""
    made = [] if idle else [f"VIEW int_{name}_typed", f"TABLE int_{name}_outcome"]
    for what in (*made, f"VIEW int_{name}_checked", f"TABLE stg_{name}", f"TABLE raw_{name}"):
        con.execute(f"DROP {what}")


def load(
    paths: list[Path],
    db: Path,
    kind: str | None = None,
    as_of: dt.date | None = None,
    strict: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> BatchResult:
    try:
        settings.load_memory()  # checked before any work (a parameter of the batch's connection)
    except settings.SettingError as e:
        raise LoadError(str(e)) from None
    kinds = contract.load()
    plan = load_plan.load(kinds)
    if kind and kind not in plan.names:
        raise LoadError(f"--kind {kind}: 未知类型 (unknown kind); 可选 (known): {', '.join(plan.names)}")
    try:
        files = reading.expand(paths)
    except FileError as e:
        raise LoadError(str(e)) from None
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
        from pipelines.load import workbook  # here: a batch of CSV files needs neither fastexcel nor Arrow

        return workbook.read_spreadsheet(src.path, kinds, forced)
    utf8 = work / f"transcoded_{fid}.csv"
    control = reading.transcode(src.path, src.encoding, utf8)
    return src, utf8, control


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

    def stage_csv(src: Source, fid: int, path: Path | None = None, control: bool | None = None) -> reading.Staged:
        try:
            with phase(f"stage {src.path.name}"):
                return reading.stage(con, src, fid, f"raw_{src.kind.name}", path, work, control)
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
                    staged_csv = stage_csv(src, fid, prepared[1], prepared[2])
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
        con.execute("SET temp_directory = ?", [str(work)])
        # Bounded memory: DuckDB spills to the work folder beyond this.
        con.execute("SET memory_limit = ?", [settings.load_memory()])
        # One checkpoint, at the end: the batch is published whole, so a checkpoint on the way
        # (DuckDB's default after 16 MB of log) is work done twice; it cost up to 1.7 s mid-load.
        con.execute("SET checkpoint_threshold = '1TB'")
        _reference_tables(con, kinds, plan)
        for rel in plan.setup:
            _sql(con, rel)
        _upgrade(con, plan)
        key, adopted = _member_key(con)
        con.execute("SET VARIABLE pbi_secret = ?", [key])
        con.execute("SET VARIABLE pbi_as_of = ?", [as_of.isoformat()])
        _date_window(con, as_of, started.date())
        _raw_tables(con, kinds, plan)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE quarantine_before AS SELECT file_id, row, first_batch FROM quarantine"
        )
        batch_id = scalar(con, "SELECT coalesce(max(batch_id), 0) + 1 FROM load_batches")
        con.execute("SET VARIABLE pbi_batch_id = CAST(? AS INTEGER)", [batch_id])
        result = BatchResult(batch_id)
        _record_key(con, key, batch_id, adopted, result)

        known = {
            h: (fid, k) for fid, h, k in con.execute("SELECT file_id, content_hash, kind FROM load_files").fetchall()
        }
        # Ledger rows of same-batch copies hold ids of their own, never given to a loaded file.
        next_id = scalar(
            con,
            "SELECT greatest(coalesce(max(file_id), 0), (SELECT max(file_id) FROM load_ledger)) + 1 FROM load_files",
        )
        staged: dict[int, tuple[Source, FileResult, str]] = {}
        todo: list[tuple[Source, FileResult, str, int]] = []
        seen: dict[str, FileResult] = {}  # content hash → the batch's first file with it
        copies: list[tuple[FileResult, FileResult, str]] = []
        for src in sources:
            with phase(f"hash {src.path.name}"):
                digest = file_hash(src.path)
            fr = FileResult(src.path.name, src.kind.name if src.kind else "")
            result.files.append(fr)
            if digest in seen:  # a byte-identical copy of a file given earlier in this batch
                copies.append((fr, seen[digest], digest))
                continue
            seen[digest] = fr
            if digest in known:
                fr.kind = fr.kind or known[digest][1]
                _record_unchanged(con, fr, known[digest][0], digest, batch_id)
                continue
            todo.append((src, fr, digest, next_id))  # file ids follow the order files were given
            next_id += 1
        with phase("read and stage every file"):
            _stage_all(con, todo, kinds, forced, work, staged, progress, batch_id)
        # Staging numbered rows in reading order; from here on no statement needs the order
        # rows were inserted in (every row carries its file and row), so DuckDB may write in parallel.
        con.execute("SET preserve_insertion_order = false")
        for rel in plan.staged:
            _sql(con, rel)
        counts, published = [], set()
        for k in plan.kinds:
            with phase(f"process {k.name}"):
                kind_counts = _process_kind(con, k, plan)
            counts += kind_counts
            if any(outcome in ("new", "changed") for _, _, outcome, _ in kind_counts):
                published.add(k.name)

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
        for copy, first, digest in copies:
            _record_copy(con, copy, first, next_id, digest, batch_id, now)
            next_id += 1
        # Top reasons of this batch's own rows: the reason with its column named but without the
        # individual values (a parenthesis holding the value goes with it). Earlier quarantined
        # rows retried and failing still are counted apart.
        result.top_reasons = con.execute(
            r"""SELECT regexp_replace(regexp_replace(replace(r.zh, '{header}', coalesce(q.header, '')),
                          '（[^（）]*\{value\}[^（）]*）', ''), '[：:]?\s*\{value\}', '')
                      || ' (' || r.en || ')', count(*)
            FROM quarantine q JOIN rule_reasons r USING (rule)
            WHERE q.last_batch = ? AND q.first_batch = ? GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 5""",
            [batch_id, batch_id],
        ).fetchall()
        result.retried_still = scalar(
            con, "SELECT count(*) FROM quarantine WHERE last_batch = ? AND first_batch < ?", [batch_id, batch_id]
        )
        if published & {"grids", "geometry"} or not _unit_geometry_current(con):
            with phase("unit geometry"):
                from pipelines.load import geometry  # here: pandas alone takes 0.6 s to import

                geometry.build(con)
                con.execute(f"COMMENT ON TABLE unit_geometry IS '{_geometry_digest()}'")
        con.execute(
            "INSERT INTO load_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, started, dt.datetime.now(), as_of, strict, len(sources), result.released, result.superseded],
        )
        with phase("checkpoint"):
            con.execute("CHECKPOINT")
        return result
    finally:
        con.close()


GEOMETRY_SOURCES = (
    Path(__file__).with_name("geometry.py"),
    SQL / "marts" / "unit_geometry.sql",
    SQL / "intermediate" / "int_grid_shapes.sql",
)


def _geometry_digest() -> str:
    """What the map's boundaries are built by: a new version of it rebuilds them."""
    return hashlib.sha256(b"".join(p.read_bytes() for p in GEOMETRY_SOURCES)).hexdigest()[:16]


def _unit_geometry_current(con) -> bool:
    """Whether `unit_geometry` (derived from grids and their boundaries) can stay as it is when
    no grid or boundary was published: built by this version, and not emptied meanwhile."""
    found = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = 'unit_geometry' AND NOT temporary"
    ).fetchall()
    if not found or found[0][0] != _geometry_digest():
        return False
    counts = "SELECT (SELECT count(*) FROM unit_geometry), (SELECT count(*) FROM grid_geometry)"
    rows, grids = con.execute(counts).fetchone()
    return rows > 0 or grids == 0


def _record_unchanged(con, fr: FileResult, fid: int, digest: str, batch_id: int) -> None:
    """A file loaded before: nothing changes; the ledger says so with the file's counts."""
    fr.status = "unchanged"
    fr.rows_read = scalar(
        con, "SELECT coalesce(min_by(rows_read, batch_id), 0) FROM load_ledger WHERE file_id = ?", [fid]
    )
    fr.quarantined = scalar(con, "SELECT count(*) FROM quarantine WHERE file_id = ?", [fid])
    fr.unchanged = fr.rows_read - fr.quarantined
    con.execute(
        "INSERT INTO load_ledger VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 'unchanged', ?)",
        [batch_id, fid, fr.file, digest, fr.kind, fr.rows_read, fr.quarantined, fr.unchanged, dt.datetime.now()],
    )


def _record_copy(
    con, fr: FileResult, first: FileResult, fid: int, digest: str, batch_id: int, now: dt.datetime
) -> None:
    """A byte-identical copy of a file given earlier in the batch: its rows are that file's,
    read again and changing nothing (read = unchanged), in a ledger row of its own."""
    fr.kind, fr.rows_read, fr.unchanged, fr.status = first.kind, first.rows_read, first.rows_read, "duplicate_file"
    con.execute(
        "INSERT INTO load_ledger VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, 'duplicate_file', ?)",
        [batch_id, fid, fr.file, digest, fr.kind, fr.rows_read, fr.unchanged, now],
    )


def _member_key(con) -> tuple[str, bool]:
    """The member key, checked against the fingerprint the warehouse recorded. A missing key
    file is created only for a warehouse that holds no member keys yet; returns the key and
    whether the warehouse has no fingerprint to check it against (it adopts this key's)."""
    stored = scalar(con, "SELECT max_by(fingerprint, recorded_at) FROM member_key_check")
    path = settings.secret_key_path()
    if not path.exists() and (stored or scalar(con, "SELECT count(*) FROM member_registry")):
        raise LoadError(
            f"成员密钥文件不存在 (the member key file is missing): {path}\n"
            f"此数据库中的党员须用原密钥关联，新密钥会使已知党员全部被隔离 (its members are linked with the "
            f"original key; a new key would quarantine every known member). {secret.restore_hint()}\n"
            "本批次未发布任何数据 (nothing of this batch was published)"
        )
    key = secret.member_key_secret()
    if stored and stored != secret.fingerprint(key):
        raise LoadError(
            f"成员密钥与此数据库不符 (the member key does not match this warehouse's): {path}\n"
            f"{secret.restore_hint()}\n本批次未发布任何数据 (nothing of this batch was published)"
        )
    return key, not stored


def _record_key(con, key: str, batch_id: int, adopted: bool, result: BatchResult) -> None:
    """Record the key's fingerprint where the warehouse has none; say so where it held data."""
    if not adopted:
        return
    if scalar(con, "SELECT count(*) FROM load_batches"):
        result.notices.append(
            "此数据库此前未记录成员密钥指纹，现采用当前密钥的指纹；以后的加载须使用同一密钥 "
            "(the warehouse had no member key fingerprint: it now records the current key's, "
            "and later loads must use the same key)"
        )
    con.execute("INSERT INTO member_key_check VALUES (?, ?, ?)", [secret.fingerprint(key), dt.datetime.now(), batch_id])

"""Reading users' files into DuckDB staging tables, every value as text.

CSV: encoding detected (BOM, else UTF-8 if the whole file decodes, else GB18030, which
covers GBK); GB18030 is transcoded to UTF-8 in a stream because DuckDB's reader reads
UTF-8 only. Spreadsheets (.xlsx, .xls) are read by pipelines.load.workbook. The header row
may sit below title rows in any format. Each staged row keeps the row number a user sees.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.duck import scalar
from pipelines.load.contract import Kind, Recognition, recognise

if TYPE_CHECKING:
    import pyarrow as pa

SPREADSHEETS = (".xlsx", ".xls", ".xlsm")
HEADER_SEARCH_ROWS = 30  # title rows above the header: at most this many
CHUNK = 1 << 24


class FileError(Exception):
    """A file the batch cannot take: unreadable, unknown kind, missing columns."""


@dataclass
class Source:
    path: Path
    kind: Kind | None  # None: a spreadsheet not read yet
    fields: dict[int, str]  # column position → field
    header_row: int  # as a user sees it (1-based)
    encoding: str | None = None
    width: int = 0  # columns in the header row (CSV)
    features: list[dict] | None = None  # geojson


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
            raise FileError(f"{p}: 文件或目录不存在 (no such file or folder)")
    return out


def detect_encoding(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            return "gb18030"


@contextlib.contextmanager
def work_folder(db: Path) -> Iterator[Path]:
    """An owner-only folder beside the warehouse for a load's transcoded copies and DuckDB's
    spill files (they hold members' data in clear), removed when the load ends. A load that
    was killed leaves its folder: the next load of the same warehouse removes it (loads of
    one warehouse run one at a time: call this under publishing()'s lock)."""
    for stale in db.parent.glob(f".{db.name}.load-*"):
        shutil.rmtree(stale, ignore_errors=True)
    work = db.parent / f".{db.name}.load-{os.getpid()}"
    work.mkdir(mode=0o700)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def private_file(path: Path):
    """`path` opened for writing, readable by its owner only (0600) from the start."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def transcode(path: Path, encoding: str, dest: Path, scan: bool = True) -> bool:
    """Stream a GB18030/UTF-16 file to UTF-8 (owner-only). With `scan`, returns whether the text
    holds a control character (has_control's test on each chunk written, so that staging need
    not read the copy again)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    found = False
    with path.open("rb") as src, private_file(dest) as out:
        while True:
            chunk = src.read(CHUNK)
            text = decoder.decode(chunk, final=not chunk).encode("utf-8")  # ends on a whole character
            found = found or (scan and _control_in(text))
            out.write(text)
            if not chunk:
                return found


def find_header(rows: list[list], kinds: dict[str, Kind], forced: str | None, name: str) -> tuple[int, Recognition]:
    best: tuple[int, Recognition] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        rec = recognise(row, kinds, forced)
        if rec.kind is not None:
            return i, rec
        if best is None or len(rec.fields) > len(best[1].fields):
            best = (i, rec)
    if best is None:
        raise FileError(f"{name}: 文件为空 (the file is empty)")
    i, rec = best
    found = "、".join(str(h) for h in rows[i] if str(h or "").strip()) or "（无）"
    if not rec.fields:
        raise FileError(
            f"{name}: 无法识别文件类型，未找到任何已知表头 (unknown kind: no known header); "
            f"表头行为 (headers found): {found}"
        )
    raise FileError(
        f"{name}: 识别为{rec.candidate}，但缺少必填列 (missing required columns): "
        f"{'、'.join(rec.missing)}; 找到的表头 (headers found): {found}"
    )


def open_source(path: Path, kinds: dict[str, Kind], forced: str | None = None) -> Source:
    """Recognise a file's kind and header; raises FileError with a message for the user."""
    name = path.name
    suffix = path.suffix.lower()
    try:
        if suffix == ".geojson":
            return _open_geojson(path, kinds, forced)
        if suffix in SPREADSHEETS:
            if not path.is_file() or path.stat().st_size == 0:
                raise FileError(f"{name}: 文件为空 (the file is empty)")
            return Source(path, None, {}, 0)  # recognised when read: read_spreadsheet()
        if suffix in (".csv", ".txt"):
            encoding = detect_encoding(path)
            with path.open("r", encoding=encoding, newline="") as f:
                head = [row for _, row in zip(range(HEADER_SEARCH_ROWS), csv.reader(f), strict=False)]
            i, rec = find_header(head, kinds, forced, name)
            return Source(path, rec.kind, rec.fields, i + 1, encoding=encoding, width=len(head[i]))
    except FileError:
        raise
    except Exception as e:
        raise FileError(f"{name}: 文件无法读取 (unreadable file): {type(e).__name__}: {e}") from e
    raise FileError(f"{name}: 不支持的文件格式 {suffix} (unsupported format; use .csv, .xlsx, .xls, .geojson)")


def _open_geojson(path: Path, kinds: dict[str, Kind], forced: str | None) -> Source:
    if forced and forced != "geometry":
        raise FileError(f"{path.name}: .geojson 只能是网格边界 (a .geojson file is grid geometry)")
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise FileError(f"{path.name}: 不是 GeoJSON FeatureCollection (not a GeoJSON FeatureCollection)")
    return Source(path, GEOMETRY, {}, 0, features=data["features"])


GEOMETRY = Kind("geometry", "网格边界", ("grid_id",))


# Control characters other than tab and line breaks (NUL, C0, DEL, C1) never reach a table.
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"
MAX_TAILS = 100  # lines with an unterminated quote a file may have before it is refused
COLUMN_COUNT_ERRORS = ("TOO MANY COLUMNS", "MISSING COLUMNS")


def _clean(column: str) -> str:
    # The test first: most values have nothing to replace, and matching is cheaper than replacing.
    strip = f"regexp_replace({column}, '{CONTROL}', '', 'g')"
    return f"CASE WHEN regexp_matches({column}, '{CONTROL}') THEN {strip} ELSE {column} END"


# CONTROL in a UTF-8 file's bytes: C0 and DEL are single bytes that never occur inside a multi-byte
# character (deleting the others and comparing lengths runs at memory speed); C1 (U+0080–U+009F)
# is C2 80 … C2 9F, looked for only in a chunk that holds a C2 byte at all.
C0_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")


def has_control(path: Path) -> bool:
    """Whether a UTF-8 file holds a control character anywhere: a scan at disk speed, so a file
    without one (nearly every file) is read without a per-value test."""
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            if _control_in(tail + chunk):
                return True
            tail = chunk[-1:]
    return False


def _control_in(data: bytes) -> bool:
    return len(data.translate(None, C0_BYTES)) != len(data) or (b"\xc2" in data and bool(C1_BYTES.search(data)))


@dataclass
class Staged:
    rows: int  # rows read, the quarantined lines included
    bad_lines: int  # lines that could not be read as a row (quarantined whole)


def stage(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    file_id: int,
    table: str,
    utf8: Path | None = None,
    work: Path | None = None,
    control: bool | None = None,
) -> Staged:
    """Insert a CSV or GeoJSON file's rows into `table` (_file_id, _row, fields as VARCHAR).
    A CSV not in UTF-8 is given as `utf8`, already transcoded (DuckDB reads UTF-8 only).

    The CSV dialect is fixed (comma, double quote; no sniffing), so one bad line cannot turn
    the whole file into a different dialect: a line with the wrong number of columns, an
    unterminated quote, an over-long line or a broken encoding is quarantined whole by its
    line number (with no value from it) and every other line loads. An unterminated quote
    would swallow the rest of the file, so reading resumes on the line after it (a copy of
    the rest goes to the owner-only `work` folder). `control`: whether the text holds a
    control character, if known (transcode() tells); else the file is scanned."""
    if src.features is not None:
        return Staged(_stage_geojson(con, src, file_id, table), 0)
    if utf8 is None and src.encoding not in ("utf-8", "utf-8-sig"):
        raise ValueError(f"{src.path.name}: {src.encoding} must be transcoded to UTF-8 before staging")
    path = utf8 or src.path
    if control is None:
        control = has_control(path)  # a rest read after a quote is part of the file: the answer holds
    con.execute(
        "CREATE OR REPLACE TEMP TABLE csv_bad_lines (line BIGINT, rule VARCHAR, value VARCHAR, line_start BIGINT)"
    )
    rows, start, skip, header = 0, src.header_row, src.header_row - 1, True
    part, tails = path, 0
    try:
        while True:
            rows += _read_part(con, src, file_id, table, part, header, skip, start, control)
            quote = _resume_after_quote(con, file_id, table, start)
            if quote is None:
                break
            line, at = quote
            tails += 1
            if tails > MAX_TAILS or work is None:
                raise FileError(
                    f"{src.path.name}: 第{line}行等{tails}处引号不成对，文件无法读取 "
                    f"(unterminated quotes from line {line}; fix the quotes and load again)"
                )
            rows = scalar(con, f"SELECT count(*) FROM {table} WHERE _file_id = {file_id}")
            part = _rest_after(part, at, work / f"rest_{file_id}.csv")
            start, skip, header = line, 0, False
        bad = con.execute(
            f"""INSERT INTO quarantine
            SELECT {file_id}, b.line::INTEGER, ?, NULL, '整行', b.value, b.rule,
                replace(r.zh, '{{value}}', b.value) || ' (' || r.en || ')', NULL,
                getvariable('pbi_batch_id'), getvariable('pbi_batch_id')
            FROM csv_bad_lines b JOIN rule_reasons r USING (rule)""",
            [src.kind.name],
        ).fetchall()[0][0]
    finally:
        con.execute("DROP TABLE IF EXISTS csv_bad_lines")
        if work is not None:
            (work / f"rest_{file_id}.csv").unlink(missing_ok=True)
    return Staged(rows + bad, bad)


def _read_part(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    file_id: int,
    table: str,
    path: Path,
    header: bool,
    skip: int,
    start: int,
    control: bool,
) -> int:
    """Read `path` (the file, or the rest of it after line `start`) into `table`; record its
    unreadable lines in csv_bad_lines and number the rows as a user sees them."""
    fields = src.fields
    names = [f"c{i}" for i in range(src.width)]
    clean = _clean if control else str
    select = ", ".join(f"{clean(c)} AS {fields[i]}" for i, c in enumerate(names) if i in fields)
    # DuckDB numbers rejected lines from the start of what it reads, the header included.
    offset = 0 if header else start
    try:
        inserted = con.execute(
            f"""INSERT INTO {table} (_file_id, _row, {", ".join(fields[i] for i in sorted(fields))})
            SELECT {file_id}, (row_number() OVER () + {start})::INTEGER, {select}
            FROM read_csv(?, header = {str(header).lower()}, skip = {skip}, auto_detect = false, columns = ?,
                          delim = ',', quote = '"', escape = '"', strict_mode = true, null_padding = false,
                          ignore_errors = true, store_rejects = true,
                          rejects_table = 'pbi_rejects', rejects_scan = 'pbi_reject_scans')""",
            [str(path), {c: "VARCHAR" for c in names}],
        ).fetchall()[0][0]
        # A reject's message may hold the line's content: only its type and the column count are kept.
        con.execute(
            f"""INSERT INTO csv_bad_lines
            SELECT line + {offset} AS line,
                CASE WHEN error_type IN {COLUMN_COUNT_ERRORS} THEN 'wrong_column_count' ELSE 'unreadable_line' END,
                CASE WHEN error_type IN {COLUMN_COUNT_ERRORS}
                         THEN format('第{{}}行有{{}}列，表头有{{}}列', line + {offset},
                                     regexp_extract(error_message, 'Found: ([0-9]+)', 1), {src.width})
                     WHEN error_type = 'LINE SIZE OVER MAXIMUM' THEN format('第{{}}行过长', line + {offset})
                     WHEN error_type = 'UNQUOTED VALUE' THEN format('第{{}}行引号不成对', line + {offset})
                     WHEN error_type = 'INVALID ENCODING' THEN format('第{{}}行含无效的字符编码', line + {offset})
                     ELSE format('第{{}}行格式错误', line + {offset}) END,
                line_byte_position
            FROM (SELECT DISTINCT ON (line) * FROM pbi_rejects ORDER BY line, byte_position)"""
        )
    finally:
        con.execute("DROP TABLE IF EXISTS pbi_rejects; DROP TABLE IF EXISTS pbi_reject_scans")
    _renumber(con, file_id, table, start)
    return inserted


def _renumber(con: duckdb.DuckDBPyConnection, file_id: int, table: str, start: int) -> None:
    """Rows were numbered start + 1, start + 2, … in reading order; the quarantined lines
    take their numbers, so the k-th row read becomes the k-th line number not taken."""
    if not scalar(con, f"SELECT count(*) FROM csv_bad_lines WHERE line > {start}"):
        return  # the ordinary case: nothing to move
    con.execute(
        f"""UPDATE {table} SET _row = {table}._row + s.shift
        FROM (
            WITH bad AS (SELECT line - {start} - row_number() OVER (ORDER BY line) AS before,
                                row_number() OVER (ORDER BY line) AS shift
                         FROM csv_bad_lines WHERE line > {start}),
                 step AS (SELECT before, max(shift) AS shift FROM bad GROUP BY before)
            SELECT t._row, step.shift FROM {table} t ASOF JOIN step ON t._row - {start} > step.before
            WHERE t._file_id = {file_id} AND t._row > {start}
        ) s
        WHERE {table}._file_id = {file_id} AND {table}._row = s._row"""
    )


def _resume_after_quote(con: duckdb.DuckDBPyConnection, file_id: int, table: str, start: int) -> tuple[int, int] | None:
    """The first line after `start` with an unterminated quote, and the byte where it begins
    in the part read: what was read after it is not trusted (it was read as one quoted value)
    and goes."""
    found = con.execute(
        f"""SELECT line, line_start FROM csv_bad_lines WHERE line > {start} AND value LIKE '%引号不成对'
        ORDER BY line LIMIT 1"""
    ).fetchall()
    if not found:
        return None
    line, at = found[0]
    con.execute(f"DELETE FROM {table} WHERE _file_id = {file_id} AND _row > {line}")
    con.execute(f"DELETE FROM csv_bad_lines WHERE line > {line}")
    return line, at


def _rest_after(part: Path, at: int, dest: Path) -> Path:
    """Copy what follows the line beginning at byte `at` of `part` to `dest` (owner-only)."""
    tmp = dest.with_suffix(".tmp")
    with part.open("rb") as src, private_file(tmp) as out:
        src.seek(at)
        src.readline()  # the line with the quote
        while chunk := src.read(CHUNK):
            out.write(chunk)
    os.replace(tmp, dest)
    return dest


def insert_sheet(con: duckdb.DuckDBPyConnection, table: str, file_id: int, data: pa.Table) -> int:
    """Stage a workbook's rows (from read_spreadsheet) into `table`."""
    import pyarrow.compute as pc  # here, as pyarrow below: a batch of CSV files never needs them (0.3 s)

    con.register("_sheet", data)
    names = ", ".join(data.column_names)
    # Values are tested in Arrow first (C++): a sheet without a control character is copied as it is.
    dirty = {n for n in data.column_names if n != "_row" and pc.any(pc.match_substring_regex(data[n], CONTROL)).as_py()}
    cleaned = ", ".join(f"{_clean(n)} AS {n}" if n in dirty else n for n in data.column_names)
    con.execute(f"INSERT INTO {table} (_file_id, {names}) SELECT {file_id}, {cleaned} FROM _sheet")
    con.unregister("_sheet")
    return data.num_rows


def _stage_geojson(con: duckdb.DuckDBPyConnection, src: Source, file_id: int, table: str) -> int:
    import pyarrow as pa

    ids, geoms, types, valid = [], [], [], []
    for feat in src.features:
        props = (feat or {}).get("properties") or {}
        ids.append(str(props.get("网格编码", props.get("grid_id", "")) or "") or None)
        geom = (feat or {}).get("geometry")
        geoms.append(json.dumps(geom, ensure_ascii=False, separators=(",", ":")) if geom else None)
        types.append((geom or {}).get("type"))
        valid.append(_geometry_ok(geom))
    n = len(ids)
    arrow = pa.table(
        {
            "_file_id": pa.array([file_id] * n, pa.int32()),
            "_row": pa.array(range(1, n + 1), pa.int32()),
            "grid_id": ids,
            "geometry": geoms,
            "geom_type": types,
            "geom_ok": valid,
        }
    )
    con.register("_features", arrow)
    con.execute(f"INSERT INTO {table} SELECT _file_id, _row, grid_id, geometry, geom_type, geom_ok FROM _features")
    con.unregister("_features")
    return n


def _geometry_ok(geom: dict | None) -> bool:
    if not geom or geom.get("type") not in ("Polygon", "MultiPolygon"):
        return False
    import shapely.geometry

    try:
        shape = shapely.geometry.shape(geom)
    except Exception:
        return False
    minx, miny, maxx, maxy = shape.bounds
    return shape.is_valid and -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90

"""Reading users' files into DuckDB staging tables, every value as text.

CSV: encoding detected (BOM, else UTF-8 if the whole file decodes, else GB18030, which
covers GBK); GB18030 is transcoded to UTF-8 in a stream because DuckDB's reader reads
UTF-8 only. Spreadsheets (.xlsx, .xls) are read with calamine. The header row may sit
below title rows in any format. Each staged row keeps the row number a user sees.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import shapely
from python_calamine import CalamineWorkbook

from pipelines.load.contract import Kind, Recognition, recognise

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


def transcode(path: Path, encoding: str, dest: Path) -> None:
    """Stream a GB18030/UTF-16 file to UTF-8."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(CHUNK):
            out.write(decoder.decode(chunk).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))


def _find_header(rows: list[list], kinds: dict[str, Kind], forced: str | None, name: str) -> tuple[int, Recognition]:
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
            i, rec = _find_header(head, kinds, forced, name)
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


def cell_text(v: object) -> str | None:
    """A spreadsheet cell as the text a user sees; numbers too long for Excel keep their
    float form (3.30110198501011e+17) so a mangled ID can be recognised."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def stage(con: duckdb.DuckDBPyConnection, src: Source, file_id: int, table: str, utf8: Path | None = None) -> int:
    """Insert a CSV or GeoJSON file's rows into `table` (_file_id, _row, fields as VARCHAR);
    returns rows read. A CSV not in UTF-8 is given as `utf8`, already transcoded
    (DuckDB reads UTF-8 only)."""
    if src.features is not None:
        return _stage_geojson(con, src, file_id, table)
    if utf8 is None and src.encoding not in ("utf-8", "utf-8-sig"):
        raise ValueError(f"{src.path.name}: {src.encoding} must be transcoded to UTF-8 before staging")
    fields = src.fields
    names = [f"c{i}" for i in range(src.width)]
    select = ", ".join(f"{c} AS {fields[i]}" for i, c in enumerate(names) if i in fields)
    inserted = con.execute(
        f"""INSERT INTO {table} (_file_id, _row, {", ".join(fields[i] for i in sorted(fields))})
        SELECT {file_id}, (row_number() OVER () + {src.header_row})::INTEGER, {select}
        FROM read_csv(?, header = true, skip = {src.header_row - 1}, all_varchar = true, names = ?,
                      null_padding = true, quote = '"', escape = '"')""",
        [str(utf8 or src.path), names],
    ).fetchall()
    return inserted[0][0]


def read_spreadsheet(path: Path, kinds: dict[str, Kind], forced: str | None = None) -> tuple[Source, pa.Table]:
    """Parse a workbook once: find the sheet and header row of a known kind, and return its
    data rows as an Arrow table of text (_row, fields). calamine parses without the GIL, so
    workbooks can be read in threads while DuckDB works."""
    name = path.name
    try:
        wb = CalamineWorkbook.from_path(str(path))
        errors = []
        for sheet_name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(sheet_name)
            head = list(itertools.islice(sheet.iter_rows(), HEADER_SEARCH_ROWS))
            try:
                i, rec = _find_header(head, kinds, forced, f"{name}[{sheet_name}]")
            except FileError as e:
                errors.append(str(e))
                continue
            rows = sheet.to_python(skip_empty_area=False)[i + 1 :]
            del sheet
            first = i + 2  # the row number a user sees of the first data row
            keep = [n for n, r in enumerate(rows) if any(c is not None and c != "" for c in r)]
            rows = [rows[n] for n in keep]
            width = max(rec.fields) + 1
            columns = (
                list(zip(*[r if len(r) >= width else [*r, *[None] * (width - len(r))] for r in rows], strict=True))
                if rows
                else [()] * width
            )
            table = {"_row": pa.array([first + n for n in keep], pa.int32())}
            for pos, f in rec.fields.items():
                # Most cells are text: skip the call for them.
                table[f] = pa.array([v if v.__class__ is str else cell_text(v) for v in columns[pos]], pa.string())
            return Source(path, rec.kind, rec.fields, i + 1), pa.table(table)
        raise FileError(errors[0] if errors else f"{name}: 没有工作表 (no sheets)")
    except FileError:
        raise
    except Exception as e:
        raise FileError(f"{name}: 文件无法读取 (unreadable file): {type(e).__name__}: {e}") from e


def insert_sheet(con: duckdb.DuckDBPyConnection, table: str, file_id: int, data: pa.Table) -> int:
    """Stage a workbook's rows (from read_spreadsheet) into `table`."""
    con.register("_sheet", data)
    names = ", ".join(data.column_names)
    con.execute(f"INSERT INTO {table} (_file_id, {names}) SELECT {file_id}, {names} FROM _sheet")
    con.unregister("_sheet")
    return data.num_rows


def _stage_geojson(con: duckdb.DuckDBPyConnection, src: Source, file_id: int, table: str) -> int:
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
    try:
        shape = shapely.geometry.shape(geom)
    except Exception:
        return False
    minx, miny, maxx, maxy = shape.bounds
    return shape.is_valid and -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90

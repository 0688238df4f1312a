"""Reading workbooks into Arrow, every value as the text a user sees.

.xlsx/.xlsm: fastexcel (calamine in Rust, straight into Arrow: one parse per sheet, no Python
object per cell), every cell read as text. Two things are checked in the sheet's XML first, in
one streamed scan (scan_sheets):
- calamine allocates a sheet's used range whole, so one stray cell far away would take hundreds
  of GB: such a sheet is refused, naming that cell;
- fastexcel writes a number as its digits (330110198501011008) where the user sees 3.30110E+17,
  and the loader must see that Excel turned an ID number into a number. A sheet holding a
  number of 16 digits or more is read cell by cell instead (read_cells), as before.
.xls (BIFF has no XML to scan) is read cell by cell too. The header row may sit below title
rows; each row keeps the number a user sees.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook

from pipelines.load.contract import Kind
from pipelines.load.reading import CHUNK, HEADER_SEARCH_ROWS, FileError, Source, find_header

CELL_LIMIT = 1 << 24  # cells in a sheet's used range: 1,048,576 rows of 16 columns
TAIL = 64  # bytes carried over between chunks: longer than any pattern below


def cell_text(v: object) -> str | None:
    """A spreadsheet cell (as python-calamine gives it) as the text a user sees; numbers too
    long for Excel keep their float form (3.30110198501011e+17) so a mangled ID can be recognised."""
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


# ---------------------------------------------------------------------------------------------
# The XML scan. It looks for byte strings (C speed, no Python per cell) in a translated copy of
# each chunk: whitespace deleted and ' read as " (so `r = 'A1'` cannot slip past), every digit
# read as 0 and every capital as A. The rare sheet it flags is then looked at closely.

_FLAT = bytes.maketrans(b"'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", b'"' + b"0" * 10 + b"A" * 26)
_QUOTES = bytes.maketrans(b"'", b'"')
_WHITESPACE = b" \t\r\n"
# A row reference from 100,000 or a column from AA: only then can the used range be too large.
_LONG_OR_WIDE = (b'r="000000', b'r="AA')
# A number of 16 digits or more, or with an exponent of two digits or more (E+15 = A+00 here);
# a false alarm only costs a cell-by-cell read.
_BIG_NUMBER = (b"v>" + b"0" * 16, b"v>-" + b"0" * 16, b"v>+" + b"0" * 16, b"A+00", b"e+00", b"0A00<", b"0e00<")
_ROW_REF = re.compile(rb'r="(\d+)"')  # cell references start with a letter
_WIDE_REF = re.compile(rb'r="([A-Z]{2,3})\d')
_LETTERS = [bytes([c]) for c in range(ord("Z"), ord("A") - 1, -1)]


@dataclass
class SheetScan:
    far: str | None = None  # the farthest cell (e.g. XFD1048576) when the used range is too large
    big_numbers: bool = False  # a number of 16 digits or more: read cell by cell


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _attributes(tag: bytes) -> dict[str, str]:
    return {k.decode(): html.unescape(v.decode("utf-8")) for k, v in re.findall(rb'([\w:]+)="([^"]*)"', tag)}


def _chunks(z: zipfile.ZipFile, member: str, table: bytes):
    """The member's XML in chunks translated by `table`, whitespace deleted, each with the
    previous one's tail (so a pattern across two chunks is seen)."""
    tail = b""
    with z.open(member) as xml:
        while chunk := xml.read(CHUNK):
            text = tail + chunk.translate(table, _WHITESPACE)
            yield text
            tail = text[-TAIL:]


def _extent(z: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """Rows and columns to the farthest cell: a second pass, for the rare sheet that may be large."""
    rows, width = 0, 0
    for text in _chunks(z, member, _QUOTES):
        rows = max([rows, *map(int, _ROW_REF.findall(text))])
        wide = _WIDE_REF.findall(text)
        if wide:
            width = max([width, *map(_column_number, wide)])
        elif width < 26:
            found = next((c for c in _LETTERS if b'r="' + c in text), None)
            width = max(width, _column_number(found) if found else 0)
    return rows, width


def _scan_member(z: zipfile.ZipFile, member: str) -> SheetScan:
    scan, maybe_large = SheetScan(), False
    for text in _chunks(z, member, _FLAT):
        maybe_large = maybe_large or any(p in text for p in _LONG_OR_WIDE)
        scan.big_numbers = scan.big_numbers or any(p in text for p in _BIG_NUMBER)
    if maybe_large:
        rows, width = _extent(z, member)
        if rows * width > CELL_LIMIT:
            scan.far = f"{_column_letters(width)}{rows}"
    return scan


def scan_sheets(path: Path) -> dict[str, SheetScan]:
    """Each sheet of an .xlsx by name: whether its used range is too large to parse, and
    whether it holds a number of 16 digits or more. A stream: memory stays at a chunk."""
    out = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        rels = {
            a.get("Id"): a.get("Target", "")
            for a in map(_attributes, re.findall(rb"<Relationship\b[^>]*>", z.read("xl/_rels/workbook.xml.rels")))
        }
        for a in map(_attributes, re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", z.read("xl/workbook.xml"))):
            target = rels.get(next((v for k, v in a.items() if k.endswith(":id")), ""), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if member in names:
                out[a.get("name", "")] = _scan_member(z, member)
    return out


# ---------------------------------------------------------------------------------------------
# Reading.


def _too_large(name: str, sheet: str, far: str) -> str:
    return (
        f"{name}[{sheet}]: 工作表的使用范围过大（有单元格远至 {far}），请删除数据区以外的单元格后另存 "
        f"(the sheet's used range reaches {far}: delete the cells outside the data and save again)"
    )


def _as_calamine_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """fastexcel's text of a cell, as the cell-by-cell reader gives it: a date cell at midnight
    is a date, one before 1900 a time of day; TRUE and FALSE as Excel shows them; no empty text.
    Each test is a cheap kernel over the column; a rewrite runs only where it finds something."""
    empty = pc.equal(column, "")
    if pc.any(empty).as_py():
        column = pc.if_else(empty, pa.scalar(None, pa.string()), column)
    if pc.any(pc.ends_with(column, " 00:00:00")).as_py():
        column = pc.replace_substring_regex(column, r"^(\d{4}-\d\d-\d\d) 00:00:00$", r"\1")
    if pc.any(pc.starts_with(column, "1899-12-31 ")).as_py():
        column = pc.replace_substring_regex(column, r"^1899-12-31 (\d\d:\d\d:\d\d)", r"\1")
    if pc.any(pc.is_in(column, pa.array(["true", "false"]))).as_py():
        column = pc.if_else(pc.equal(column, "true"), "TRUE", pc.if_else(pc.equal(column, "false"), "FALSE", column))
    return column


def _sheet_table(first: int, rows: pa.Table, fields: dict[int, str], columns: dict[int, pa.ChunkedArray]) -> pa.Table:
    """The data rows (from row `first` as a user sees it) that hold anything, as (_row, fields).
    `rows` has a column at least: the header was found in it."""
    blank = [pc.or_kleene(pc.is_null(col), pc.equal(col, "")) for col in rows.columns]
    keep = pc.invert(functools.reduce(pc.and_kleene, blank))
    table = {"_row": pa.array(range(first, first + rows.num_rows), pa.int32()).filter(keep)}
    for pos, f in fields.items():
        table[f] = columns[pos].filter(keep)
    return pa.table(table)


def _read_fast(reader: fastexcel.ExcelReader, sheet: str, kinds, forced, label: str) -> tuple[Source, pa.Table]:
    batch = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string", eager=True)
    data = pa.Table.from_batches([batch]) if batch.num_columns else pa.table({})
    head = [list(r) for r in zip(*(c.to_pylist() for c in data.slice(0, HEADER_SEARCH_ROWS).columns), strict=True)]
    i, rec = find_header(head, kinds, forced, label)
    rows = data.slice(i + 1)
    columns = {pos: _as_calamine_text(rows.column(pos)) for pos in rec.fields}
    return Source(Path(), rec.kind, rec.fields, i + 1), _sheet_table(i + 2, rows, rec.fields, columns)


def _read_cells(wb: CalamineWorkbook, sheet: str, kinds, forced, label: str) -> tuple[Source, pa.Table]:
    """The cell-by-cell reader (python-calamine): every cell a Python object, made text by cell_text."""
    # From A1, the header search included: iter_rows() starts at the first used cell instead,
    # which shifted every column of a sheet whose data starts right of column A.
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    i, rec = find_header(rows[:HEADER_SEARCH_ROWS], kinds, forced, label)
    rows = rows[i + 1 :]
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
        # Most cells are text: skip the call for them (empty text is no value, as in a CSV).
        table[f] = pa.array([v if v.__class__ is str and v else cell_text(v) for v in columns[pos]], pa.string())
    return Source(Path(), rec.kind, rec.fields, i + 1), pa.table(table)


def read_spreadsheet(path: Path, kinds: dict[str, Kind], forced: str | None = None) -> tuple[Source, pa.Table]:
    """Parse a workbook once: find the first sheet with a header row of a known kind and return
    its data rows as an Arrow table of text (_row, fields). Parsing runs without the GIL, so
    workbooks can be read in threads while DuckDB works."""
    name = path.name
    try:
        xml = path.suffix.lower() in (".xlsx", ".xlsm") and zipfile.is_zipfile(path)
        scans = scan_sheets(path) if xml else {}
        fast = fastexcel.read_excel(path) if xml else None
        cells = None
        sheets = fast.sheet_names if fast else (cells := CalamineWorkbook.from_path(str(path))).sheet_names
        errors = []
        for sheet in sheets:
            label = f"{name}[{sheet}]"
            scan = scans.get(sheet)
            if scan and scan.far:
                errors.append(_too_large(name, sheet, scan.far))
                continue
            try:
                if scan and not scan.big_numbers:
                    src, table = _read_fast(fast, sheet, kinds, forced, label)
                else:
                    cells = cells or CalamineWorkbook.from_path(str(path))
                    src, table = _read_cells(cells, sheet, kinds, forced, label)
            except FileError as e:
                errors.append(str(e))
                continue
            src.path = path
            return src, table
        raise FileError(errors[0] if errors else f"{name}: 没有工作表 (no sheets)")
    except FileError:
        raise
    except Exception as e:
        raise FileError(f"{name}: 文件无法读取 (unreadable file): {type(e).__name__}: {e}") from e

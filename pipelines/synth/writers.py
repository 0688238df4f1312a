"""Writing frames in the formats users have: CSV in a chosen encoding, xlsx with an
optional title row, and GeoJSON. Output is byte-for-byte deterministic."""

from __future__ import annotations

import datetime as dt
import io
import json
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import xlsxwriter

CHUNK_ROWS = 250_000
# Fixed document timestamp so the same seed gives the same bytes.
XLSX_CREATED = dt.datetime(2026, 1, 5, 9, 0, 0)


def write_csv(frames, path: Path, encoding: str) -> None:
    """Write one or more frames of text columns (None = empty) as one CSV file.

    encoding: 'utf-8', 'utf-8-sig' (with BOM), 'gbk' or 'gb18030'. Rows are rendered by
    Arrow's CSV writer in chunks and transcoded in a stream, so memory stays bounded.
    """
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unquoted, as Excel and most platforms save; Arrow refuses a value that would need quotes.
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with path.open("wb") as out:
        first = True
        for frame in frames:
            if first:
                header = ",".join(frame.columns) + "\r\n"
                out.write(header.encode(encoding))  # utf-8-sig adds the BOM here only
                first = False
            for start in range(0, len(frame), CHUNK_ROWS):
                chunk = frame.iloc[start : start + CHUNK_ROWS]
                table = pa.table(
                    {
                        c: pa.array(chunk[c].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
                        for c in frame.columns
                    }
                )
                buf = io.BytesIO()
                pacsv.write_csv(table, buf, options)
                text = buf.getvalue().decode("utf-8").replace("\n", "\r\n")
                out.write(text.encode("gb18030" if encoding == "gb18030" else encoding.replace("-sig", "")))


def write_xlsx(frame: pd.DataFrame, path: Path, title: str | None = None, sheet: str = "Sheet1") -> None:
    """Write a frame to .xlsx: str cells as text (IDs stay text), numbers as numbers,
    dates as real Excel dates; an optional merged title row above the header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "default_date_format": "yyyy-mm-dd",
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties({"created": XLSX_CREATED, "author": "党建指数看板 synth"})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    row = 0
    if title:
        ws.merge_range(0, 0, 0, len(frame.columns) - 1, title, wb.add_format({"bold": True, "font_size": 14}))
        row = 1
    ws.write_row(row, 0, list(frame.columns), bold)
    row += 1
    for values in frame.itertuples(index=False, name=None):
        for col, v in enumerate(values):
            if v is None or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, str):
                ws.write_string(row, col, v)
            elif isinstance(v, dt.date):
                ws.write_datetime(row, col, v)
            else:
                ws.write_number(row, col, v)
        row += 1
    wb.close()


def write_geojson(collection: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        json.dump(collection, f, ensure_ascii=False, separators=(",", ":"))


class BackgroundWriter:
    """Writes workbooks in worker processes while the caller goes on generating.

    xlsx writing is the slowest step and is pure Python per cell; the second core does it.
    At most `max_pending` frames wait at a time, so memory stays bounded at any scale.
    """

    def __init__(self, workers: int = 2, max_pending: int = 3) -> None:
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        self._pending: list[Future] = []
        self._max_pending = max_pending

    def xlsx(self, frame: pd.DataFrame, path: Path, title: str | None = None, sheet: str = "Sheet1") -> None:
        while len(self._pending) >= self._max_pending:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(write_xlsx, frame, path, title, sheet))

    def close(self) -> None:
        try:
            for f in self._pending:
                f.result()  # re-raises a worker's error here
        finally:
            self._pool.shutdown()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

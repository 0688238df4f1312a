"""The loader benchmark's baseline: the fastest plain read of the same files into a DuckDB file.

CSV: detect the encoding, transcode GB18030 to UTF-8 (DuckDB reads UTF-8 only), then
CREATE TABLE AS SELECT * FROM read_csv(..., all_varchar = true). Workbooks: fastexcel, every
cell as text, straight into Arrow, then CREATE TABLE AS. GeoJSON: one row per feature. No
Python per cell, no validation, no keys, no publishing.
Run: python -m bench.baseline DATA_DIR DB [FILE ...]  (FILE: only these, e.g. one new export)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import duckdb

from pipelines.load.reading import detect_encoding, expand, transcode


def read_into(con: duckdb.DuckDBPyConnection, files: list[Path], work: Path, prefix: str = "t") -> None:
    """Each file into a table of its own, named `prefix` and its position."""
    for i, f in enumerate(files):
        suffix = f.suffix.lower()
        if suffix == ".csv":
            enc = detect_encoding(f)
            if enc not in ("utf-8", "utf-8-sig"):
                dst = work / f"t{i}.csv"
                transcode(f, enc, dst, scan=False)
                f = dst
            con.execute(f"CREATE TABLE {prefix}{i} AS SELECT * FROM read_csv(?, all_varchar = true)", [str(f)])
        elif suffix in (".xlsx", ".xls", ".xlsm"):
            import fastexcel  # imported when used, as the loader does: a read of CSV files needs no Arrow

            sheet = fastexcel.read_excel(f).load_sheet(0, header_row=None, skip_rows=0, dtypes="string", eager=True)
            con.register("sheet", sheet)
            con.execute(f"CREATE TABLE {prefix}{i} AS SELECT * FROM sheet")
            con.unregister("sheet")
        elif suffix == ".geojson":
            import pyarrow as pa

            features = json.loads(f.read_text(encoding="utf-8"))["features"]
            con.register("features", pa.table({"f": [json.dumps(x, ensure_ascii=False) for x in features]}))
            con.execute(f"CREATE TABLE {prefix}{i} AS SELECT * FROM features")
            con.unregister("features")


def main(root: Path, db: Path, only: list[Path] | None = None) -> None:
    con = duckdb.connect(str(db))
    with tempfile.TemporaryDirectory() as work:
        read_into(con, only or list(expand([root])), Path(work))
    con.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]] or None)

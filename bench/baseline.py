"""The loader benchmark's baseline: the least work that gets the same files into DuckDB.

CSV: detect the encoding, transcode GB18030 to UTF-8 (DuckDB reads UTF-8 only), then a raw
CREATE TABLE AS SELECT * FROM read_csv(...). Spreadsheets: calamine into an Arrow table of
text, then CREATE TABLE AS. No validation, no keys, no publishing.
Run: python -m bench.baseline DATA_DIR DB
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
from python_calamine import CalamineWorkbook

from pipelines.load.batch import expand
from pipelines.load.reading import cell_text, detect_encoding, transcode


def main(root: Path, db: Path) -> None:
    con = duckdb.connect(str(db))
    with tempfile.TemporaryDirectory() as work:
        for i, f in enumerate(expand([root])):
            if f.suffix == ".csv":
                enc = detect_encoding(f)
                if enc not in ("utf-8", "utf-8-sig"):
                    dst = Path(work) / f"t{i}.csv"
                    transcode(f, enc, dst)
                    f = dst
                con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?)", [str(f)])
            elif f.suffix in (".xlsx", ".xls"):
                rows = CalamineWorkbook.from_path(str(f)).get_sheet_by_index(0).to_python()
                columns = list(zip(*rows, strict=True)) if rows else []
                con.register(
                    "sheet",
                    pa.table(
                        {f"c{j}": pa.array([cell_text(v) for v in c], pa.string()) for j, c in enumerate(columns)}
                    ),
                )
                con.execute(f"CREATE TABLE t{i} AS SELECT * FROM sheet")
                con.unregister("sheet")
            elif f.suffix == ".geojson":
                features = json.loads(f.read_text(encoding="utf-8"))["features"]
                con.register("features", pa.table({"f": [json.dumps(x, ensure_ascii=False) for x in features]}))
                con.execute(f"CREATE TABLE t{i} AS SELECT * FROM features")
                con.unregister("features")
    con.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

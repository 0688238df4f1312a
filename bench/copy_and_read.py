"""The incremental loader benchmark's baseline: copy the published database once (as the
loader builds the new warehouse on a copy), then the plain read of the new files into it.
Run: python -m bench.copy_and_read PUBLISHED COPY FILE [FILE ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from bench.baseline import read_into


def main(published: Path, copy: Path, files: list[Path]) -> None:
    shutil.copyfile(published, copy)
    con = duckdb.connect(str(copy))
    with tempfile.TemporaryDirectory() as work:
        read_into(con, files, Path(work), prefix="new")
    con.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])

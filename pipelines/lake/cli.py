"""`python -m pipelines export lake --db FILE --out DIR` (pipelines/cli.py hands `export lake` here)."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

# Options of the CSV exports that mean nothing for the lake: it holds the whole warehouse.
NOT_FOR_LAKE = ("level", "period", "run", "scope")


def export(args: argparse.Namespace) -> int:
    """Write the lake (no results database needed) and record it in the audit log: who, the
    folder, rows, the manifest's hash and each table's digest."""
    from pipelines.access import audit
    from pipelines.access.cli import actor, host
    from pipelines.engine.compute import StaleWarehouse
    from pipelines.lake.export import MANIFEST, LakeRefused, export_lake

    given = [f"--{name}" for name in NOT_FOR_LAKE if getattr(args, name, None) is not None]
    if given:
        raise SystemExit(
            f"export lake: {', '.join(given)} 不适用于数据湖 (not for the lake: it holds the whole warehouse)"
        )
    db, out = Path(args.db), Path(args.out)
    if not db.exists():
        raise SystemExit(f"{args.db}: 数据库不存在 (no such database)")
    try:
        manifest = export_lake(db, out)
    except LakeRefused as e:
        raise SystemExit(str(e)) from e
    except StaleWarehouse as e:
        raise SystemExit(
            f"{args.db}: 数据库由旧版本加载，请重新加载 (loaded by an older version: load again): {e}"
        ) from e
    tables = manifest["tables"]
    rows = sum(t["rows"] for t in tables)
    audit.record(
        actor(),
        "export",
        what="lake",
        rows=rows,
        detail={
            "folder": str(out.resolve()),
            "sha256": hashlib.sha256((out / MANIFEST).read_bytes()).hexdigest(),
            "data_digest": manifest["data_digest"],
            "load_batch": manifest["load_batch"],
            "tables": {t["name"]: t["digest"] for t in tables},
        },
        client=host(),
    )
    print(
        f"{rows:,} 行（{len(tables)} 张表）已导出为数据湖 {args.out} "
        f"(rows of {len(tables)} tables exported as a Parquet lake; recorded in the audit log)"
    )
    return 0

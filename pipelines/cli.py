"""Command line: `python -m pipelines COMMAND ...`."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import sys
from pathlib import Path

from pipelines import settings
from pipelines.vocabulary import LEVELS

# The scales of pipelines/synth/scales.py (tests/test_cli.py keeps them equal); named here so
# that starting a command does not import the generator.
SCALE_NAMES = ("small", "city", "province")


def _synth(args: argparse.Namespace) -> int:
    from pipelines.synth import generate

    if args.dirty_rate is not None and not 0 <= args.dirty_rate <= 0.05:
        raise SystemExit("--dirty-rate must be between 0 and 0.05")
    generate(args.scale, args.seed, Path(args.out), args.dirty_rate)
    return 0


def _load(args: argparse.Namespace) -> int:
    from pipelines.load import report
    from pipelines.load.batch import LoadError, load

    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    try:
        with report.Progress() as progress:
            result = load(
                [Path(p) for p in args.paths], Path(args.db), args.kind, as_of, args.strict, progress=progress.update
            )
    except LoadError as e:
        report.error(str(e))
        return 2
    report.summary(result)
    return 0


def _compute(args: argparse.Namespace) -> int:
    # Before NumPy loads: the rank-interval draws multiply small matrices beside DuckDB's own
    # threads, and OpenBLAS's threads would spin for work on the cores DuckDB needs (measured
    # at city scale: 0.35 s of 2.4 s).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from pipelines.engine import methodology
    from pipelines.engine.compute import StaleWarehouse, compute

    if args.engine == "spark":
        return _compute_spark(args)
    given = [f"--{o.replace('_', '-')}" for o in ("lake", "master", "remote") if getattr(args, o)]
    if given or args.no_publish:
        raise SystemExit(f"{', '.join(given + ['--no-publish'] * args.no_publish)}: 仅用于 --engine spark (spark only)")
    if not Path(args.db).exists():
        raise SystemExit(f"{args.db}: 数据库不存在，请先加载数据 (no such database: load data first)")
    try:
        m = methodology.load(Path(args.config)) if args.config else methodology.load()
    except methodology.MethodologyError as e:
        raise SystemExit(f"方法配置有误 (methodology file refused): {e}") from e
    try:
        run_id = compute(Path(args.db), m)
    except StaleWarehouse as e:
        raise SystemExit(
            f"{args.db}: 数据库由旧版本加载，请重新加载 (loaded by an older version: load again): {e}"
        ) from e
    print(f"计算完成 (computed): run {run_id}, methodology {m.version} ({m.sha256[:12]})")
    return 0


def _compute_spark(args: argparse.Namespace) -> int:
    """compute --engine spark: pipelines/spark/compute.py over the lake; published into the
    results database beside --db unless --no-publish. Refusals exit with status 2."""
    from pipelines.engine import methodology

    if not args.lake:
        print("--engine spark 需要 --lake (the lake folder written by `export lake`)", file=sys.stderr)
        return 2
    db = Path(args.db)
    if not args.no_publish and not db.exists():
        print(f"{args.db}: 数据库不存在，无法发布结果 (no database to publish into; or --no-publish)", file=sys.stderr)
        return 2
    try:
        m = methodology.load(Path(args.config)) if args.config else methodology.load()
    except methodology.MethodologyError as e:
        raise SystemExit(f"方法配置有误 (methodology file refused): {e}") from e
    from pipelines.spark.compute import LakeUnusable, PublishRefused, compute_spark

    try:
        run_id = compute_spark(
            args.lake,
            m,
            db=db if db.exists() else None,
            master=args.master,
            remote=args.remote,
            publish_results=not args.no_publish,
        )
    except (LakeUnusable, PublishRefused) as e:
        print(str(e), file=sys.stderr)
        return 2
    where = "数据湖 (lake only)" if args.no_publish else f"数据湖与 {scores_name(db)} (lake and results database)"
    print(f"计算完成 (computed on Spark): run {run_id}, methodology {m.version} ({m.sha256[:12]}) → {where}")
    return 0


def scores_name(db: Path) -> str:
    from pipelines.engine.scores_db import scores_path

    return scores_path(db).name


def _export(args: argparse.Namespace) -> int:
    """Scores, member scores, 正能量值 points or quarantined rows as CSV (BOM: opens cleanly in
    Excel), within --scope; every export is written to the audit log (who, what, scope, rows,
    file hash). `export lake` writes the warehouse as a Parquet lake instead (pipelines/lake)."""
    if args.what == "lake":
        from pipelines.lake.cli import export as export_lake

        return export_lake(args)
    from pipelines.access import audit
    from pipelines.access.cells import inert
    from pipelines.access.cli import actor, host
    from pipelines.engine.scores_db import connect_read, scores_path
    from pipelines.report.cli import checked_scope
    from pipelines.serve import exports, runs

    points_levels = ("members", "orgs")
    if args.what == "points":
        if not args.period:
            raise SystemExit("export points: 请用 --period 指定季度或年度 (--period is required: 2025Q4 or 2025)")
        if args.level not in (None, *points_levels):
            raise SystemExit(
                f"export points: --level 只能是 members 或 orgs (--level must be members or orgs), got {args.level}"
            )
    elif args.level in points_levels:
        raise SystemExit(f"export {args.what}: --level {args.level} 仅用于 points (only for export points)")
    if not Path(args.db).exists():
        raise SystemExit(f"{args.db}: 数据库不存在 (no such database)")
    scope = checked_scope(Path(args.db), args.scope)
    if args.what in ("scores", "members", "points") and not scores_path(Path(args.db)).exists():
        raise SystemExit(f"{args.db}: 尚未计算指数，请先运行 compute (no results yet: run compute first)")
    with connect_read(Path(args.db)) as con:
        if args.what == "quarantine":
            frame = exports.quarantine(con, scope)
        else:
            # The period's official run by default; without one the latest, said on stderr to be a draft.
            choice = runs.choose(con, args.run, args.period, draft=True)
            run = choice.run
            if args.run is not None and run is None:
                raise SystemExit(f"run {args.run}: 没有这次计算 (no such run)")
            note = runs.draft_note(choice, args.period)
            if note:
                print(note, file=sys.stderr)
            if args.what == "scores":
                frame = exports.scores(con, run, scope, args.period, args.level)
            elif args.what == "points":
                frame = exports.points(con, run, args.period, args.level or "members", scope)
            else:
                frame = exports.members(con, run, scope, args.period)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    # Members' names and scores: owner-only from creation (an older, wider file is narrowed).
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with open(fd, "w", encoding="utf-8-sig", newline="") as out:
        inert(frame).to_csv(out, index=False)  # no text a spreadsheet would run
    digest = hashlib.sha256(Path(args.out).read_bytes()).hexdigest()
    audit.record(
        actor(),
        "export",
        what=f"{args.what}.csv",
        scope=scope,
        rows=len(frame),
        detail={"file": str(Path(args.out).resolve()), "sha256": digest, "period": args.period, "level": args.level},
        client=host(),
    )
    print(f"{len(frame):,} 行已导出到 {args.out} (rows exported; recorded in the audit log)")
    return 0


# The commands defined in this module; the others (report, users, audit, adjust, review …)
# register from modules of their own, imported only when one of those may be asked for.
OWN_COMMANDS = ("synth", "load", "compute", "export")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser; given one of OWN_COMMANDS, only this module's (a load does not
    import the access and evaluation modules to parse its arguments)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="党建指数看板 data pipelines")
    sub = parser.add_subparsers(dest="command", required=True)
    # Every --db defaults to the one published warehouse of pipelines/settings.py (PBI_DB, else
    # data/warehouse/pbi.duckdb under the repository), the dashboard's, whatever the working directory.
    default_db = settings.db_path()
    synth = sub.add_parser("synth", help="write a synthetic city's raw exports (2024Q1–2025Q4)")
    synth.add_argument("--scale", choices=SCALE_NAMES, default="small")
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--out", required=True, help="folder to write the exports into")
    synth.add_argument(
        "--dirty-rate",
        type=float,
        default=None,
        help="share of rows per file and fault kind made bad (default: 0.002 for small, 0 otherwise)",
    )
    synth.set_defaults(func=_synth)

    load = sub.add_parser("load", help="load exports (files or folders) into the warehouse as one batch")
    load.add_argument("paths", nargs="+", help="files or folders (folders are read recursively)")
    load.add_argument("--db", default=str(default_db), help=f"database to publish (default {default_db})")
    load.add_argument("--kind", help="force the kind of every file (grids, geometry, orgs, members, ...)")
    load.add_argument("--as-of", help="snapshot date for rosters without a 数据日期 column (YYYY-MM-DD)")
    load.add_argument("--strict", action="store_true", help="fail (and publish nothing) if any row is quarantined")
    load.set_defaults(func=_load)

    compute = sub.add_parser("compute", help="compute indices for all periods and levels (a new run)")
    compute.add_argument("--db", default=str(default_db))
    compute.add_argument("--config", help="methodology file (default: pipelines/config/methodology-v1.toml)")
    compute.add_argument(
        "--engine", choices=("duckdb", "spark"), default="duckdb", help="duckdb (default) or spark (needs --lake)"
    )
    compute.add_argument("--lake", help="spark: the lake folder written by `export lake` (any path Spark reads)")
    where = compute.add_mutually_exclusive_group()
    where.add_argument("--master", help="spark: the master, e.g. local[2] (default) or yarn")
    where.add_argument(
        "--remote", help="spark: a Spark Connect server, sc://HOST:PORT (local[N]: PySpark's own, for a trial)"
    )
    compute.add_argument(
        "--no-publish",
        action="store_true",
        help="spark: write the marts to the lake only, not into the results database beside --db",
    )
    compute.set_defaults(func=_compute)

    export = sub.add_parser("export", help="export tables as CSV, or the warehouse as a Parquet lake (lake)")
    export.add_argument("what", choices=["quarantine", "scores", "members", "points", "lake"])
    export.add_argument(
        "--level",
        choices=[*LEVELS, "members", "orgs"],
        help="scores: a level of units; points: members (default) or orgs (reporting organisations)",
    )
    export.add_argument("--period", help="a quarter (2025Q4) or a year (2025)")
    export.add_argument(
        "--run",
        type=int,
        help="any computation (run id; default: the period's official run, else the latest as a draft)",
    )
    export.add_argument("--scope", help="only units at or under 区县, 区县/街道 or 区县/街道/社区 (default: the city)")
    export.add_argument("--db", default=str(default_db))
    export.add_argument("--out", required=True, help="the CSV file; for lake, the folder (written anew)")
    export.set_defaults(func=_export)
    if command in OWN_COMMANDS:
        return parser

    from pipelines.report.cli import register as register_report

    register_report(sub, default_db)

    from pipelines.access.cli import register

    register(sub, default_db)

    from pipelines.evaluation.cli import register as register_adjust

    register_adjust(sub, default_db)

    from pipelines.evaluation.review_cli import register as register_review

    register_review(sub, default_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    return args.func(args)

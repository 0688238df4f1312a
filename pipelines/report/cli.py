"""`python -m pipelines report`: the meeting pack (workbook and deck) of a period (a quarter, or
a year: 年度考评 / 年度累计), level and scope, written into a folder; each file is recorded in the
audit log with its SHA-256."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from pipelines.vocabulary import LEVELS


def checked_scope(db: Path, scope: str | None) -> str:
    """`--scope` as a unit path (区县, 区县/街道, 区县/街道/社区) known to the warehouse, or ""."""
    from pipelines.access.units import known_units
    from pipelines.access.users import UserError, check_unit

    scope = "/".join(p.strip() for p in (scope or "").split("/") if p.strip())
    if scope:
        role = ("区级", "街道", "社区")[min(scope.count("/"), 2)]
        try:
            check_unit(role, scope, known_units(db))
        except UserError as e:
            raise SystemExit(f"--scope: {e}") from e
    return scope


def _report(args: argparse.Namespace) -> int:
    from pipelines.access import audit
    from pipelines.access.cli import actor, host
    from pipelines.engine.scores_db import connect_read, scores_path
    from pipelines.report import deck, labels, pack, workbook
    from pipelines.serve import runs

    db = Path(args.db)
    if not db.exists():
        raise SystemExit(f"{db}: 数据库不存在 (no such database)")
    if not scores_path(db).exists():
        raise SystemExit(f"{db}: 尚未计算指数，请先运行 compute (no results yet: run compute first)")
    scope = checked_scope(db, args.scope)
    try:
        with connect_read(db) as con:
            p = pack.build(
                con,
                args.period,
                args.level,
                scope,
                run=args.run,
                show_names=args.clear_names,
                scorecards=args.scorecards,
                generated_by=actor(),
            )
    except pack.PackError as e:
        raise SystemExit(str(e)) from e
    if p.draft:  # the pack says 草稿 on every sheet and slide; the operator hears it here
        print(runs.draft_note(runs.Choice(int(p.run["run_id"]), True, p.review), p.period), file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = labels.file_stem(p)
    for suffix, render in (("xlsx", workbook.render), ("pptx", deck.render)):
        path = out / f"{stem}.{suffix}"
        payload = render(p)
        # Owner-only, like the users file and the audit log: the pack names people.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(payload)
        audit.record(
            actor(),
            "export",
            what=f"report.{suffix}",
            scope=scope,
            rows=len(p.units),
            detail={
                "file": str(path.resolve()),
                "sha256": hashlib.sha256(payload).hexdigest(),
                "period": p.period,
                "level": p.level,
                "run": int(p.run["run_id"]),
                "names": "clear" if p.names_shown else "masked",
            },
            client=host(),
        )
        print(f"{path}  ({len(payload):,} 字节)")
    print(
        f"{labels.title(p)}：{len(p.units)} 个单位，整改清单 {len(p.rectification)} 个，"
        f"上期整改事项 {len(p.followup)} 项，评分卡 {len(p.scorecards)} 张；"
        f"{p.trace}（已记入审计日志 recorded in the audit log）"
    )
    return 0


def register(sub: argparse._SubParsersAction, default_db: Path) -> None:
    report = sub.add_parser(
        "report",
        help="meeting pack (quarterly or annual): Excel workbook and PowerPoint deck of a period, level and scope",
    )
    report.add_argument("--db", default=str(default_db))
    report.add_argument("--period", required=True, help="a quarter (2025Q4) or a year (2025)")
    report.add_argument("--level", choices=LEVELS, default="grid", help="units ranked (default: grid)")
    report.add_argument("--scope", help="only units at or under 区县, 区县/街道 or 区县/街道/社区 (default: the city)")
    report.add_argument(
        "--run",
        type=int,
        help="any computation (run id; default: the period's official run, else the latest as a draft)",
    )
    report.add_argument(
        "--scorecards",
        type=int,
        default=30,
        help="scorecard sheets for the first N units by rank (default 30; 0 for none)",
    )
    report.add_argument(
        "--clear-names",
        action="store_true",
        help="members' names in clear (default: masked, 张*明); recorded in the audit log",
    )
    report.add_argument("--out", required=True, help="folder to write the workbook and the deck into")
    report.set_defaults(func=_report)

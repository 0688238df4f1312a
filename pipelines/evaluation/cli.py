"""`python -m pipelines adjust add|approve|reject|revoke|list`: the adjustments register
(加减分, 一票否决) from the command line. The user named by --by acts (checked against the
users file); the audit log records them and the operating-system account. A refusal prints
its reason on standard error and exits 2."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

from pipelines.vocabulary import ADJUSTMENT_KINDS, LEVELS

HEADERS = ("编号", "期间", "层级", "单位", "类型", "分值", "状态", "登记人", "登记时间", "处理人", "处理时间", "事由")


def _refusing(action: Callable[[], str]) -> int:
    """Run a change and print what it did; an AdjustmentError is printed on stderr, exit 2."""
    from pipelines.access.audit import AuditKeyError
    from pipelines.evaluation.adjustments import AdjustmentError

    try:
        said = action()
    except AdjustmentError as e:
        print(str(e), file=sys.stderr)
        return 2
    except AuditKeyError as e:  # nothing was written: the change is rolled back with its audit row
        print(str(e), file=sys.stderr)
        return 1
    print(said)
    return 0


def _client() -> str:
    from pipelines.access.cli import host

    return host()


def add(args: argparse.Namespace) -> int:
    from pipelines.evaluation import adjustments

    def action() -> str:
        number = adjustments.add(
            Path(args.db),
            level=args.level,
            unit=args.unit,
            period=args.period,
            kind=args.kind,
            points=args.points,
            reason=args.reason,
            by=args.by,
            evidence=Path(args.evidence) if args.evidence else None,
            client=_client(),
        )
        return f"已登记，待审批 (entered, pending approval): {args.period} {args.unit} {args.kind} 编号 (id) {number}"

    return _refusing(action)


def approve(args: argparse.Namespace) -> int:
    from pipelines.evaluation import adjustments

    def action() -> str:
        adjustments.approve(Path(args.db), args.id, by=args.by, client=_client())
        return f"已审批，生效 (approved, in force): {args.id}"

    return _refusing(action)


def reject(args: argparse.Namespace) -> int:
    from pipelines.evaluation import adjustments

    def action() -> str:
        adjustments.reject(Path(args.db), args.id, by=args.by, reason=args.reason, client=_client())
        return f"已驳回 (rejected): {args.id}"

    return _refusing(action)


def revoke(args: argparse.Namespace) -> int:
    from pipelines.evaluation import adjustments

    def action() -> str:
        adjustments.revoke(Path(args.db), args.id, by=args.by, reason=args.reason, client=_client())
        return f"已撤销 (revoked): {args.id}"

    return _refusing(action)


def _width(text: str) -> int:
    """Columns a text takes on a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cells(row) -> list[str]:
    import pandas as pd

    from pipelines.access.cli import _printable

    def when(value) -> str:
        return "—" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")

    reason = row.reason if pd.isna(row.decision_reason) else f"{row.reason}（{row.state}：{row.decision_reason}）"
    cells = [
        str(row.adjustment_id),
        row.period,
        row.level,
        row.unit_id if row.unit_id == row.unit_name else f"{row.unit_id} {row.unit_name}",
        row.kind,
        f"{row.points:+g}" if row.points else "0",
        row.state,
        row.entered_by,
        when(row.entered_at),
        "—" if pd.isna(row.decided_by) else row.decided_by,
        when(row.decided_at),
        reason,
    ]
    return [_printable(str(c)) for c in cells]


def listing(args: argparse.Namespace) -> int:
    """Every entry with its state, who entered it and who decided, as an aligned table."""
    from pipelines.evaluation import adjustments

    try:
        rows = adjustments.listing(Path(args.db), period=args.period, level=args.level)
    except adjustments.AdjustmentError as e:
        print(str(e), file=sys.stderr)
        return 2
    table = [list(HEADERS), *(_cells(row) for row in rows.itertuples())]
    widths = [max(_width(line[i]) for line in table) for i in range(len(HEADERS))]
    for line in table:
        padded = [cell + " " * (w - _width(cell)) for cell, w in zip(line[:-1], widths, strict=False)]
        print("  ".join([*padded, line[-1]]))
    if rows.empty:
        print("（没有加减分记录 no adjustments）")
    return 0


def register(sub: argparse._SubParsersAction, default_db: Path) -> None:
    """The `adjust` command and its subcommands."""
    ad = sub.add_parser("adjust", help="adjustments (加减分, 一票否决): enter, approve, reject, revoke, list")
    asub = ad.add_subparsers(dest="adjust_command", required=True)

    def command(name: str, help: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = asub.add_parser(name, help=help)
        p.add_argument("--db", default=str(default_db), help=f"warehouse beside its register (default {default_db})")
        p.set_defaults(func=func)
        return p

    a = command("add", "enter an adjustment (pending until another user approves it); prints its id last", add)
    a.add_argument("--level", required=True, help=" | ".join(LEVELS))
    a.add_argument(
        "--unit", required=True, help="as in score exports: 网格编码, 区县/街道/社区, 区县/街道, 区县 or 全市"
    )
    a.add_argument("--period", required=True, help="a quarter (2025Q3) or a year (2025) of the loaded data")
    a.add_argument("--kind", required=True, help=" | ".join(ADJUSTMENT_KINDS))
    a.add_argument("--points", required=True, help="> 0 for 加分, < 0 for 扣分, 0 for 一票否决")
    a.add_argument("--reason", required=True)
    a.add_argument("--evidence", help="a file (at most 20 MB), kept in the register with its SHA-256")
    a.add_argument("--by", required=True, help="the user entering it (admin right)")

    p = command("approve", "approve a pending adjustment (approve right, not the user who entered it)", approve)
    p.add_argument("id", type=int)
    p.add_argument("--by", required=True)

    r = command("reject", "reject a pending adjustment, with a reason (approve right)", reject)
    r.add_argument("id", type=int)
    r.add_argument("--by", required=True)
    r.add_argument("--reason", required=True)

    v = command("revoke", "revoke a pending or approved adjustment, with a reason (admin or approve right)", revoke)
    v.add_argument("id", type=int)
    v.add_argument("--by", required=True)
    v.add_argument("--reason", required=True)

    s = command("list", "every adjustment with its state, who entered and decided it, and when", listing)
    s.add_argument("--period", help="a quarter (2025Q3) or a year (2025)")
    s.add_argument("--level", help=" | ".join(LEVELS))

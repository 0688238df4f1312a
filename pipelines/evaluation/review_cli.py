"""`python -m pipelines review|objection|rectify …`: the evaluation workflow from the command
line (docs/review.md). The user named by --by acts, checked against the users file; every
change is audited. A refusal prints its reason on standard error and exits 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines.vocabulary import LEVELS


def _refusing(action: Callable[[], str]) -> int:
    """Run a step and print what it did; a ReviewError on stderr exits 2 (a lost audit key 1)."""
    from pipelines.access.audit import AuditKeyError
    from pipelines.evaluation.workflow import ReviewError

    try:
        said = action()
    except ReviewError as e:
        print(str(e), file=sys.stderr)
        return 2
    except AuditKeyError as e:  # nothing was written: the step is rolled back with its audit row
        print(str(e), file=sys.stderr)
        return 1
    if said:
        print(said)
    return 0


def _client() -> str:
    from pipelines.access.cli import host

    return host()


def _table(headers: tuple[str, ...], rows: list[list[str]], empty: str) -> None:
    """An aligned table (Chinese characters take two columns), the last column unpadded."""
    from pipelines.access.cli import _printable
    from pipelines.evaluation.cli import _width

    table = [list(headers), *([_printable(str(c)) for c in row] for row in rows)]
    widths = [max(_width(line[i]) for line in table) for i in range(len(headers))]
    for line in table:
        padded = [cell + " " * (w - _width(cell)) for cell, w in zip(line[:-1], widths, strict=False)]
        print("  ".join([*padded, line[-1]]))
    if not rows:
        print(empty)


def _dash(value: object) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp) or hasattr(value, "strftime"):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M" if getattr(value, "hour", 0) else "%Y-%m-%d")
    return str(value)


# --- review ------------------------------------------------------------------------------------------

STATUS_HEADERS = ("期间", "状态", "运行", "公示开始", "公示结束", "已发布运行", "发布时间", "未处理异议", "更正")


def status(args: argparse.Namespace) -> int:
    from pipelines.evaluation import objections, review

    def action() -> str:
        rows = review.statuses(Path(args.db)) if args.period is None else [review.state(Path(args.db), args.period)]
        counts = objections.open_counts(Path(args.db))
        lines = []
        for s in rows:
            done = s.published
            lines.append(
                [
                    s.period,
                    s.state,
                    _dash(s.run),
                    _dash(s.notice_start),
                    _dash(s.notice_end),
                    _dash(done.run if done else None),
                    _dash(done.published_at if done else None),
                    str(counts.get(s.period, 0)),
                    s.correction or "、".join(p.reason for p in s.history if p.reason) or "—",
                ]
            )
        _table(STATUS_HEADERS, lines, "（没有结果 no results）")
        return ""

    return _refusing(action)


def _said(s, verb: str) -> str:
    notice = f"，公示 {s.notice_start} 至 {s.notice_end} (notice)" if s.notice_start else ""
    return f"{verb}: {s.period} → {s.state} 运行 (run) {_dash(s.run)}{notice}"


def submit(args: argparse.Namespace) -> int:
    from pipelines.evaluation import review

    return _refusing(
        lambda: _said(
            review.submit(Path(args.db), args.period, by=args.by, run=args.run, client=_client()),
            "已提交审核 (submitted)",
        )
    )


def approve(args: argparse.Namespace) -> int:
    from pipelines.evaluation import review

    def action() -> str:
        s = review.approve(
            Path(args.db),
            args.period,
            by=args.by,
            notice_days=args.notice_days,
            notice_start=args.notice_start,
            client=_client(),
        )
        return _said(s, "已审核通过，开始公示 (approved, on public notice)")

    return _refusing(action)


def reject(args: argparse.Namespace) -> int:
    from pipelines.evaluation import review

    return _refusing(
        lambda: _said(
            review.reject(Path(args.db), args.period, by=args.by, reason=args.reason, client=_client()),
            "已退回 (sent back)",
        )
    )


def withdraw(args: argparse.Namespace) -> int:
    from pipelines.evaluation import review

    return _refusing(
        lambda: _said(
            review.withdraw(Path(args.db), args.period, by=args.by, reason=args.reason, client=_client()),
            "已撤回 (withdrawn)",
        )
    )


def publish(args: argparse.Namespace) -> int:
    from pipelines.evaluation import rectification, review

    def action() -> str:
        s = review.publish(Path(args.db), args.period, by=args.by, client=_client())
        items = rectification.listing(Path(args.db), period=args.period)
        return f"{_said(s, '已发布 (published)')}；整改事项 (rectification items) {len(items)}"

    return _refusing(action)


def correct(args: argparse.Namespace) -> int:
    from pipelines.evaluation import review

    def action() -> str:
        s = review.correct(
            Path(args.db),
            args.period,
            run=args.run,
            by=args.by,
            reason=args.reason,
            notice_days=args.notice_days,
            notice_start=args.notice_start,
            client=_client(),
        )
        return _said(s, "已更正，重新公示 (corrected, on public notice again)")

    return _refusing(action)


def demo(args: argparse.Namespace) -> int:
    """Stage the demo city's review states once (`make run` in demo mode)."""
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as compute: the demo computes a second run
    from pipelines.evaluation import demo as staging

    def say(line: str) -> None:
        print(line, flush=True)

    return _refusing(lambda: "\n".join(staging.stage(Path(args.db), log=say).lines()))


# --- objections --------------------------------------------------------------------------------------

OBJECTION_HEADERS = ("编号", "期间", "层级", "单位", "提出人", "提出时间", "处理", "处理人", "内容")


def objection_file(args: argparse.Namespace) -> int:
    from pipelines.evaluation import objections

    def action() -> str:
        number = objections.file(
            Path(args.db),
            period=args.period,
            level=args.level,
            unit_id=args.unit,
            by=args.by,
            text_=args.text,
            path=Path(args.file) if args.file else None,
            client=_client(),
        )
        return f"已提出异议 (objection filed): {args.period} {args.unit} 编号 (id) {number}"

    return _refusing(action)


def objection_list(args: argparse.Namespace) -> int:
    from pipelines.evaluation import objections

    def action() -> str:
        rows = objections.listing(Path(args.db), period=args.period, open_only=args.open)
        lines = []
        for o in rows.to_dict("records"):
            decided = objections.DECISIONS.get(o["decision"], objections.OPEN)
            body = o["text"] if not isinstance(o["note"], str) else f"{o['text']}（{decided}：{o['note']}）"
            unit = o["unit_id"] if o["unit_id"] == o["unit_name"] else f"{o['unit_id']} {o['unit_name']}"
            lines.append(
                [
                    o["objection_id"],
                    o["period"],
                    o["level"],
                    unit,
                    o["filed_by"],
                    _dash(o["filed_at"]),
                    decided,
                    _dash(o["resolved_by"]),
                    body,
                ]
            )
        _table(OBJECTION_HEADERS, lines, "（没有异议 no objections）")
        return ""

    return _refusing(action)


def objection_resolve(args: argparse.Namespace) -> int:
    from pipelines.evaluation import objections

    def action() -> str:
        objections.resolve(Path(args.db), args.id, by=args.by, accept=args.accept, note=args.note, client=_client())
        return f"异议已处理 (objection resolved): {args.id} {'已采纳 accepted' if args.accept else '未采纳 rejected'}"

    return _refusing(action)


# --- rectification -----------------------------------------------------------------------------------

RECTIFY_HEADERS = ("编号", "期间", "层级", "单位", "责任组织", "原因", "最弱指标", "期限", "状态", "整改措施")


def rectify_list(args: argparse.Namespace) -> int:
    import json

    from pipelines.evaluation import rectification

    def action() -> str:
        rows = rectification.listing(Path(args.db), period=args.period, status=args.status)
        lines = []
        for r in rows.to_dict("records"):
            weakest = "、".join(w["name"] for w in json.loads(r["weakest"])) or "—"
            unit = r["unit_id"] if r["unit_id"] == r["unit_name"] else f"{r['unit_id']} {r['unit_name']}"
            lines.append(
                [
                    r["item_id"],
                    r["period"],
                    r["level"],
                    unit,
                    _dash(r["organisation"]),
                    r["reasons"],
                    weakest,
                    _dash(r["deadline"]),
                    r["status"],
                    _dash(r["measures"]),
                ]
            )
        _table(RECTIFY_HEADERS, lines, "（没有整改事项 no rectification items）")
        return ""

    return _refusing(action)


def rectify_update(args: argparse.Namespace) -> int:
    from pipelines.evaluation import rectification

    def action() -> str:
        item = rectification.update(
            Path(args.db),
            args.id,
            by=args.by,
            measures=args.measures,
            status=args.status,
            evidence=Path(args.evidence) if args.evidence else None,
            client=_client(),
        )
        return f"整改事项已更新 (item updated): {args.id} {item['status']}"

    return _refusing(action)


def rectify_confirm(args: argparse.Namespace) -> int:
    from pipelines.evaluation import rectification

    def action() -> str:
        rectification.confirm(Path(args.db), args.id, by=args.by, client=_client())
        return f"整改事项已销号 (item confirmed): {args.id}"

    return _refusing(action)


# --- the parser --------------------------------------------------------------------------------------


def _group(sub: argparse._SubParsersAction, name: str, help: str, default_db: Path):
    group = sub.add_parser(name, help=help).add_subparsers(dest=f"{name}_command", required=True)

    def command(cmd: str, help: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = group.add_parser(cmd, help=help)
        p.add_argument("--db", default=str(default_db), help=f"warehouse beside its register (default {default_db})")
        p.set_defaults(func=func)
        return p

    return command


def _notice_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notice-days", type=int, default=5, help="days of public notice (default 5)")
    p.add_argument("--notice-start", help="first day of public notice, YYYY-MM-DD (default today, China time)")


def register(sub: argparse._SubParsersAction, default_db: Path) -> None:
    """The `review`, `objection` and `rectify` commands and their subcommands."""
    review = _group(sub, "review", "review, public notice (公示) and publication of a period's results", default_db)
    s = review("status", "every period's state, pinned run, notice dates and open objections", status)
    s.add_argument("--period")
    s = review("submit", "pin a run (default: the latest) and submit the period for review (admin)", submit)
    s.add_argument("--period", required=True)
    s.add_argument("--run", type=int)
    s.add_argument("--by", required=True)
    s = review("approve", "approve and start public notice (approve right, not the submitter)", approve)
    s.add_argument("--period", required=True)
    s.add_argument("--by", required=True)
    _notice_options(s)
    for name, help, func in (
        ("reject", "send a period in review back to draft (approve right, not the submitter)", reject),
        ("withdraw", "take a period in review or on notice back (admin)", withdraw),
    ):
        s = review(name, help, func)
        s.add_argument("--period", required=True)
        s.add_argument("--by", required=True)
        s.add_argument("--reason", required=True)
    s = review("publish", "publish after the notice, no objection open (admin)", publish)
    s.add_argument("--period", required=True)
    s.add_argument("--by", required=True)
    s = review("correct", "put a newer run of a published period on notice again (admin)", correct)
    s.add_argument("--period", required=True)
    s.add_argument("--run", type=int, required=True)
    s.add_argument("--by", required=True)
    s.add_argument("--reason", required=True)
    _notice_options(s)
    review("demo", "stage the demo city in every review state, once (demo data only)", demo)

    objection = _group(sub, "objection", "objections (异议) during public notice", default_db)
    o = objection("file", "file an objection against a unit in scope; prints its id last", objection_file)
    o.add_argument("--period", required=True)
    o.add_argument("--level", required=True, help=" | ".join(LEVELS))
    o.add_argument("--unit", required=True, help="as in score exports: 网格编码, 区县/街道/社区, 区县/街道, 区县, 全市")
    o.add_argument("--by", required=True)
    o.add_argument("--text", required=True)
    o.add_argument("--file", help="a supporting file (at most 20 MB), kept with its SHA-256")
    o = objection("list", "objections with their resolutions", objection_list)
    o.add_argument("--period")
    o.add_argument("--open", action="store_true", help="only those not resolved yet")
    o = objection("resolve", "resolve an objection (admin)", objection_resolve)
    o.add_argument("id", type=int)
    o.add_argument("--by", required=True)
    decision = o.add_mutually_exclusive_group(required=True)
    decision.add_argument("--accept", action="store_true", dest="accept")
    decision.add_argument("--reject", action="store_false", dest="accept")
    o.add_argument("--note", required=True)

    rectify = _group(sub, "rectify", "rectification follow-up (整改跟踪)", default_db)
    r = rectify("list", "rectification items with their status", rectify_list)
    r.add_argument("--period")
    r.add_argument("--status", help="待整改 | 整改中 | 已完成 | 已销号 | 逾期")
    r = rectify("update", "report measures, status or evidence on an item in scope", rectify_update)
    r.add_argument("id", type=int)
    r.add_argument("--by", required=True)
    r.add_argument("--measures")
    r.add_argument("--status", help="整改中 | 已完成")
    r.add_argument("--evidence", help="a file (at most 20 MB), kept with its SHA-256")
    r = rectify("confirm", "confirm a completed item (销号, admin)", rectify_confirm)
    r.add_argument("id", type=int)
    r.add_argument("--by", required=True)

"""Objections (异议) during public notice: any signed-in user may file one against a unit within
their own scope while the unit's period is 公示中 — the text, optionally a file (kept by its
SHA-256 as adjustments' evidence). An administrator resolves each once: accepted (the note says
what was changed) or rejected (the note says why). A period is published only when none of its
objections is open (review.publish). Filing and resolving are audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.access.scope import covers
from pipelines.evaluation import register, review
from pipelines.evaluation.workflow import ReviewError, attachment, record, text, unit, user

LISTING = (
    "objection_id",
    "period",
    "run_id",
    "level",
    "unit_id",
    "unit_name",
    "text",
    "file_name",
    "file_sha256",
    "filed_by",
    "filed_at",
    "decision",
    "note",
    "resolved_by",
    "resolved_at",
    "unit_path",
)
DECISIONS = {"accept": "已采纳", "reject": "未采纳"}
OPEN = "待处理"


def file(
    db: Path,
    *,
    period: str,
    level: str,
    unit_id: str,
    by: str,
    text_: str,
    path: Path | None = None,
    data: bytes | None = None,
    name: str | None = None,
    at: dt.datetime | None = None,
    client: str | None = None,
) -> int:
    """File an objection against a unit within `by`'s scope while its period is on notice;
    returns its id."""
    who, at = user(by), at or register.now()
    period = review._period(period)
    body = text(text_, "异议内容", "objection", lines=True)
    unit_id, unit_name, unit_path = unit(db, level, unit_id)
    if not covers(who.scope, unit_path):
        raise ReviewError(f"单位 {unit_id} 不在用户 {who.name} 的范围内 (the unit is outside the user's scope)")
    attached = attachment(Path(path) if path else None, data, name)
    with register.writing(db) as con:
        s = review.status_in(con, period)
        if s.state != review.NOTICE:
            raise ReviewError(
                f"{period} 处于“{s.state}”，只有公示期间可以提出异议 "
                f"(objections are filed during public notice; {period} is {review.STATES_EN[s.state]})"
            )
        digest = register.store_evidence(db, attached[1]) if attached else None
        (new_id,) = register.run(
            con,
            "objection_insert",
            period=period,
            run_id=s.run,
            level=level,
            unit_id=unit_id,
            unit_name=unit_name,
            unit_path=unit_path,
            text=body,
            file_name=attached[0] if attached else None,
            file_sha256=digest,
            by=who.name,
            at=at,
        ).fetchall()[0]
        record(
            who,
            "objection_filed",
            subject=unit_id,
            what=f"#{new_id} {period} {level}",
            scope=unit_path,
            client=client,
            id=int(new_id),
            period=period,
            run=s.run,
            text=body,
            file_name=attached[0] if attached else None,
            file_sha256=digest,
        )
    return int(new_id)


def _one(con: duckdb.DuckDBPyConnection, id: int) -> dict:
    try:
        key = int(id)
    except (TypeError, ValueError):
        key = 0
    rows = _rows(con, key, None, False, "", None) if 0 < key < 2**31 else pd.DataFrame()
    if rows.empty:
        raise ReviewError(f"没有这条异议 (no such objection): {id}")
    return rows.iloc[0].to_dict()


def _rows(con, id, period, open_only, scope, filed_by) -> pd.DataFrame:
    return register.run(
        con, "objections_listing", id=id, period=period, open_only=open_only, scope=scope, filed_by=filed_by
    ).df()


def resolve(
    db: Path,
    id: int,
    *,
    by: str,
    accept: bool,
    note: str,
    at: dt.datetime | None = None,
    client: str | None = None,
) -> None:
    """Resolve an open objection (admin): accepted, the note saying what was changed; or
    rejected, the note saying why."""
    who, at = user(by, admin=True), at or register.now()
    decision = "accept" if accept else "reject"
    note = text(note, "处理说明", "note", lines=True)
    with register.writing(db) as con:
        o = _one(con, id)
        if isinstance(o["decision"], str):
            raise ReviewError(
                f"第 {o['objection_id']} 条异议已处理（{DECISIONS[o['decision']]}） (the objection is already resolved)"
            )
        register.run(
            con, "objection_resolve", id=int(o["objection_id"]), decision=decision, note=note, by=who.name, at=at
        )
        record(
            who,
            "objection_resolved",
            subject=o["unit_id"],
            what=f"#{o['objection_id']} {o['period']} {DECISIONS[decision]}",
            scope=o["unit_path"],
            client=client,
            id=int(o["objection_id"]),
            period=o["period"],
            decision=decision,
            note=note,
        )


def listing(
    db: Path,
    *,
    period: str | None = None,
    open_only: bool = False,
    scope: str = "",
    filed_by: str | None = None,
) -> pd.DataFrame:
    """Every objection (of a period; open only; its unit at or under `scope`; filed by one
    user — what a unit user sees of their own), oldest first, with its resolution: LISTING."""
    with register.reading(db) as con:
        return _rows(con, None, period, bool(open_only), scope, filed_by)[list(LISTING)]


def open_counts(db: Path) -> dict[str, int]:
    """How many objections of each period are open."""
    rows = listing(db, open_only=True)
    return rows.groupby("period").size().to_dict() if not rows.empty else {}

"""Rectification follow-up (整改跟踪): when a period is published, every unit on its
rectification list (pipelines/report/rectification_rule.py, as the meeting pack lists it) of
every level below the city becomes a tracked item with a deadline (30 days after publication
by default). Users whose scope holds the unit report measures, a status (整改中, 已完成) and
evidence; an administrator confirms completion (销号). The status shown is derived: 待整改
until something is reported, 逾期 once the deadline has passed unfinished (at the clock given,
else register.now()), 已销号 once confirmed. Every update and confirmation is audited."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import vocabulary
from pipelines.access.scope import covers
from pipelines.evaluation import register
from pipelines.evaluation.workflow import ReviewError, attachment, record, results, text, user

OPEN, IN_PROGRESS, DONE, CONFIRMED, OVERDUE = "待整改", "整改中", "已完成", "已销号", "逾期"
STATUSES = (OPEN, IN_PROGRESS, DONE, CONFIRMED, OVERDUE)
REPORTED = (IN_PROGRESS, DONE)  # what a user may report
DEADLINE_DAYS = 30
LEVELS = vocabulary.LEVELS[:-1]  # every level but the city: the city answers to no one in its own list
LISTING = (
    "item_id",
    "period",
    "run_id",
    "level",
    "unit_id",
    "unit_name",
    "reasons",
    "weakest",
    "organisation",
    "deadline",
    "created_at",
    "measures",
    "reported",
    "evidence_name",
    "evidence_sha256",
    "updated_at",
    "confirmed_by",
    "confirmed_at",
    "unit_path",
    "status",
    "overdue",
)


def _weakest(indicators: list[dict]) -> str:
    """The weakest indicators as JSON: code, name, score and points lost (NaN as null)."""

    def plain(v: object) -> object:
        return None if isinstance(v, float) and not math.isfinite(v) else (round(v, 4) if isinstance(v, float) else v)

    return json.dumps(
        [{k: plain(i.get(k)) for k in ("code", "name", "score", "lost")} for i in indicators], ensure_ascii=False
    )


def listed(db: Path, period: str, run: int) -> pd.DataFrame:
    """The rectification list of a run's period, every level below the city: level, unit_id,
    unit_name, unit_path, reasons, weakest (JSON), organisation; in level then rank order."""
    from pipelines.engine.methodology import parse
    from pipelines.report.rectification_rule import rectification
    from pipelines.serve import runs
    from pipelines.serve import units as served_units

    frames = []
    with results(db) as con:
        m = parse(runs.record(con, run)["config_text"], Path(f"run-{run}.toml"))
        for level in LEVELS:
            units = served_units.scores(con, run, period, level)
            if units.empty:
                continue
            values = None
            if "Q" in period:  # a year's indicators are not scored: it has no weakest indicators
                rows = served_units.indicator_values(con, run, period, level)
                values = rows.set_index("unit_id").to_dict("index")
            chosen = rectification(con, m, units, values)
            paths = units.set_index("unit_id")["path"]
            frames.append(chosen.assign(level=level, unit_path=chosen["unit_id"].map(paths)))
    if not frames:
        return pd.DataFrame(columns=["level", "unit_id", "unit_name", "unit_path", "reasons", "weakest"])
    return pd.concat(frames, ignore_index=True)


def create(
    con: duckdb.DuckDBPyConnection, db: Path, period: str, run: int, *, at: dt.datetime, deadline_days: int
) -> int:
    """Make the tracked items of a period published at `at` from run `run`, on an open writing
    register connection (publication's); units that already have an item keep it. Returns how
    many items were made."""
    if isinstance(deadline_days, bool) or not isinstance(deadline_days, int) or deadline_days < 1:
        raise ReviewError(f"整改期限须为正整数天 (the deadline is a whole number of days ≥ 1): {deadline_days}")
    deadline = at.date() + dt.timedelta(days=deadline_days)
    made = 0
    for row in listed(db, period, run).to_dict("records"):
        (before,) = con.execute("SELECT count(*) FROM rectification_items").fetchall()[0]
        register.run(
            con,
            "rectification_item_insert",
            period=period,
            run_id=int(run),
            level=row["level"],
            unit_id=row["unit_id"],
            unit_name=row["unit_name"],
            unit_path=row["unit_path"] or "",
            reasons=row["reasons"],
            weakest=_weakest(row["weakest"]),
            organisation=None if pd.isna(row["organisation"]) else row["organisation"],
            deadline=deadline,
            at=at,
        )
        (after,) = con.execute("SELECT count(*) FROM rectification_items").fetchall()[0]
        made += after - before
    return made


def _status(rows: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The status shown and whether overdue, from what was reported and the deadline."""
    confirmed = rows["confirmed_at"].notna()
    done = rows["reported"] == DONE
    late = pd.to_datetime(rows["deadline"]).dt.date < today
    overdue = ~confirmed & ~done & late
    shown = rows["reported"].fillna(OPEN).where(~overdue, OVERDUE).where(~done, DONE).where(~confirmed, CONFIRMED)
    return rows.assign(status=shown, overdue=overdue)


def _rows(con: duckdb.DuckDBPyConnection, id: int | None, period: str | None, scope: str) -> pd.DataFrame:
    return register.run(con, "rectification_listing", id=id, period=period, scope=scope).df()


def listing(
    db: Path, *, period: str | None = None, status: str | None = None, scope: str = "", at: dt.datetime | None = None
) -> pd.DataFrame:
    """Every item (of a period, a status; its unit at or under `scope`), oldest first, with the
    last measures, status and evidence reported and its status at `at`: columns LISTING."""
    if status is not None and status not in STATUSES:
        raise ReviewError(f"状态须为 {'、'.join(STATUSES)} 之一 (status must be one of them): {status}")
    with register.reading(db) as con:
        rows = _status(_rows(con, None, period, scope), (at or register.now()).date())[list(LISTING)]
    return rows if status is None else rows[rows["status"] == status].reset_index(drop=True)


def overdue(db: Path, *, scope: str = "", at: dt.datetime | None = None) -> pd.DataFrame:
    """The items in scope past their deadline and unfinished (what the overview shows)."""
    return listing(db, status=OVERDUE, scope=scope, at=at)


def _item(con: duckdb.DuckDBPyConnection, id: int, at: dt.datetime) -> dict:
    try:
        key = int(id)
    except (TypeError, ValueError):
        key = 0
    rows = _status(_rows(con, key, None, ""), at.date()) if 0 < key < 2**31 else pd.DataFrame()
    if rows.empty:
        raise ReviewError(f"没有这条整改事项 (no such rectification item): {id}")
    return rows.iloc[0].to_dict()


def update(
    db: Path,
    id: int,
    *,
    by: str,
    measures: str | None = None,
    status: str | None = None,
    evidence: Path | None = None,
    evidence_bytes: bytes | None = None,
    evidence_name: str | None = None,
    at: dt.datetime | None = None,
    client: str | None = None,
) -> dict:
    """Report on an item not yet confirmed: measures, a status (整改中 or 已完成), evidence —
    at least one. `by`: any user with the unit in scope. Returns the item as now listed."""
    who, at = user(by), at or register.now()
    if measures is not None:
        measures = text(measures, "整改措施", "measures", lines=True)
    if status is not None and status not in REPORTED:
        raise ReviewError(f"状态须为 {'、'.join(REPORTED)} 之一 (status must be one of them): {status}")
    attached = attachment(Path(evidence) if evidence else None, evidence_bytes, evidence_name)
    if measures is None and status is None and attached is None:
        raise ReviewError("请填写整改措施、状态或证据 (give measures, a status or evidence)")
    with register.writing(db) as con:
        item = _item(con, id, at)
        _may_change(who, item)
        digest = register.store_evidence(db, attached[1]) if attached else None
        register.run(
            con,
            "rectification_update_insert",
            id=int(item["item_id"]),
            action="update",
            measures=measures,
            status=status,
            evidence_name=attached[0] if attached else None,
            evidence_sha256=digest,
            by=who.name,
            at=at,
        )
        item = _item(con, id, at)
        _audit(who, "rectification_updated", item, client, status=status, measures=measures, evidence_sha256=digest)
        return item


def confirm(db: Path, id: int, *, by: str, at: dt.datetime | None = None, client: str | None = None) -> dict:
    """Confirm an item reported 已完成 (销号, admin). Returns the item as now listed."""
    who, at = user(by, admin=True), at or register.now()
    with register.writing(db) as con:
        item = _item(con, id, at)
        _may_change(who, item)
        if item["status"] != DONE:
            raise ReviewError(
                f"第 {item['item_id']} 项为“{item['status']}”，报告已完成后才能销号 "
                f"(only an item reported done can be confirmed)"
            )
        register.run(
            con,
            "rectification_update_insert",
            id=int(item["item_id"]),
            action="confirm",
            measures=None,
            status=None,
            evidence_name=None,
            evidence_sha256=None,
            by=who.name,
            at=at,
        )
        item = _item(con, id, at)
        _audit(who, "rectification_confirmed", item, client)
        return item


def _may_change(who, item: dict) -> None:
    if not covers(who.scope, item["unit_path"]):
        raise ReviewError(f"单位 {item['unit_id']} 不在用户 {who.name} 的范围内 (the unit is outside the user's scope)")
    if item["status"] == CONFIRMED:
        raise ReviewError(f"第 {item['item_id']} 项已销号 (the item is already confirmed)")


def _audit(who, event: str, item: dict, client: str | None, **detail: object) -> None:
    record(
        who,
        event,
        subject=item["unit_id"],
        what=f"#{item['item_id']} {item['period']} {item['status']}",
        scope=item["unit_path"],
        client=client,
        id=int(item["item_id"]),
        level=item["level"],
        period=item["period"],
        **detail,
    )


def evidence(db: Path, id: int, *, by: str) -> tuple[str, bytes]:
    """An item's latest evidence (name, content), hash-checked, for a user with the unit in scope."""
    who = user(by)
    with register.reading(db) as con:
        item = _item(con, id, register.now())
    if not covers(who.scope, item["unit_path"]):
        raise ReviewError(f"用户 {who.name} 无权查看这份证据 (the user may not see this evidence): {id}")
    digest = item["evidence_sha256"]
    data = register.read_evidence(db, digest) if isinstance(digest, str) else None
    if data is None or register.sha256(data) != digest:
        raise ReviewError(f"第 {item['item_id']} 项没有完好的证据文件 (no intact evidence for this item)")
    return item["evidence_name"], data

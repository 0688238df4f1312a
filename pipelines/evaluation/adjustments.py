"""Adjustments (加减分 and 一票否决, methodology v1.1): entered by an administrator against one
unit and period, approved or rejected by another user holding the `approve` right, revocable
with a reason; only approved entries that were not revoked count (`in_force`, what compute
applies). Nothing is deleted: an entry's state follows from the decisions appended to it.

Every refusal is an AdjustmentError with a Chinese message and the English in brackets; every
change, and every evidence download by a named user, is also written to the audit log with
the user as actor and the operating-system account in its detail.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.access import audit, users
from pipelines.access.scope import covers
from pipelines.engine.indicators import DATA_QUARTERS
from pipelines.engine.marts import ADJUSTMENT_COLUMNS
from pipelines.evaluation import register
from pipelines.vocabulary import ADJUSTMENT_KINDS, BONUS, DEDUCTION, LEVELS, VETO

PENDING, APPROVED, REJECTED, REVOKED = "待审批", "已生效", "已驳回", "已撤销"
STATES = (PENDING, APPROVED, REJECTED, REVOKED)
MAX_POINTS = 100  # no scheme adds or deducts more than the whole scale: a larger number is a typo
MAX_REASON = 500
MAX_EVIDENCE_NAME = 200
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
PERIOD = re.compile(r"\d{4}(Q[1-4])?")
SIGN = {BONUS: "> 0", DEDUCTION: "< 0", VETO: "= 0"}
# The columns of listing() and in_force() (the latter: the results' run_adjustments minus run_id).
LISTING = (
    "adjustment_id",
    "level",
    "unit_id",
    "unit_name",
    "period",
    "kind",
    "points",
    "reason",
    "evidence_name",
    "evidence_sha256",
    "state",
    "entered_by",
    "entered_at",
    "decided_by",
    "decided_at",
    "decision_reason",
)
IN_FORCE = tuple(ADJUSTMENT_COLUMNS)  # the results' run_adjustments, minus run_id


class AdjustmentError(ValueError):
    """An adjustment refused: the message says why (in Chinese, with the English in brackets)."""


# --- checks --------------------------------------------------------------------------------------


def _text(value: str | None, what: str, what_en: str, limit: int, lines: bool = False) -> str:
    """A reason or a file name: trimmed, not blank, at most `limit` characters, no control or
    format character (a new line, an escape, a direction mark would forge or garble listings).
    `lines`: a long text (an objection, measures) may hold line breaks (listings print them
    escaped); any other control character is still refused."""
    text = (value or "").strip()
    if lines:
        text = text.replace("\r\n", "\n")
    if not text:
        raise AdjustmentError(f"{what}不能为空 (the {what_en} is required)")
    if len(text) > limit:
        raise AdjustmentError(f"{what}最多 {limit} 个字符 (the {what_en} has at most {limit} characters)")
    hidden = [c for c in text if unicodedata.category(c) in ("Cc", "Cf") and not (lines and c == "\n")]
    if hidden:
        codes = ", ".join(f"U+{ord(c):04X}" for c in hidden[:5])
        raise AdjustmentError(f"{what}含控制字符 (the {what_en} holds control characters): {codes}")
    return text


def _level(level: str) -> str:
    if level not in LEVELS:
        raise AdjustmentError(f"层级须为 {'、'.join(LEVELS)} 之一 (level must be one of them): {level}")
    return level


def _points(kind: str, points: object) -> float:
    """The points as a number that fits the kind: > 0 for 加分, < 0 for 扣分, 0 for 一票否决."""
    if kind not in ADJUSTMENT_KINDS:
        raise AdjustmentError(f"类型须为 {'、'.join(ADJUSTMENT_KINDS)} 之一 (kind must be one of them): {kind}")
    try:
        value = float(points) if not isinstance(points, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise AdjustmentError(f"分值须为数字 (points must be a finite number): {points}")
    if abs(value) > MAX_POINTS:
        raise AdjustmentError(f"分值绝对值不能超过 {MAX_POINTS} (points beyond ±{MAX_POINTS} are refused): {points}")
    fits = {BONUS: value > 0, DEDUCTION: value < 0, VETO: value == 0}[kind]
    if not fits:
        raise AdjustmentError(f"{kind}的分值须{SIGN[kind]} (points for {kind} must be {SIGN[kind]}): {points}")
    return value + 0.0  # -0.0 → 0.0


def _user(name: str, *, admin: bool = False, approve: bool = False) -> users.User:
    """The named user of the users file, holding one of the rights asked for (admin, approve)."""
    user = users.find(users.load(), name or "")
    if user is None:
        raise AdjustmentError(f"没有这个用户 (no such user): {name}")
    if (admin or approve) and not ((admin and user.admin) or (approve and user.approve)):
        wanted = " 或 ".join(r for r, on in (("管理员 admin", admin), ("审批 approve", approve)) if on)
        raise AdjustmentError(f"用户 {user.name} 没有“{wanted}”权限 (the user lacks the right needed: {wanted})")
    return user


def _unit(con: duckdb.DuckDBPyConnection, level: str, unit: str) -> tuple[str, str, str]:
    """(unit_id, unit_name, unit_path) of a unit of the warehouse written as in score exports."""
    unit_id = "/".join(p.strip() for p in (unit or "").split("/"))
    rows = register.run(con, "warehouse_unit", level=level, unit=unit_id).fetchall()
    if not rows:
        shapes = {"grid": "网格编码", "community": "区县/街道/社区", "street": "区县/街道", "district": "区县"}
        shape = shapes.get(level, "全市")
        raise AdjustmentError(f"数据中没有这个{level}单位（写作“{shape}”） (no such {level} unit in the data): {unit}")
    name, path = rows[0]
    return unit_id, name, path


def _period(con: duckdb.DuckDBPyConnection, period: str) -> str:
    """A quarter (2025Q3) or a year (2025) that the loaded data covers (a year: any quarter of it)."""
    period = (period or "").strip()
    if not PERIOD.fullmatch(period):
        raise AdjustmentError(f"期间须写作 2025Q3 或 2025 (a period is a quarter such as 2025Q3 or a year): {period}")
    quarters = [q for (q, *_) in con.execute(DATA_QUARTERS.read_text(encoding="utf-8")).fetchall()]
    if period not in quarters and not any(q.startswith(period + "Q") for q in quarters if len(period) == 4):
        span = f"{quarters[0]}–{quarters[-1]}" if quarters else "无 none"
        raise AdjustmentError(f"数据未覆盖这个期间，已有 {span} (the loaded data does not cover this period): {period}")
    return period


def _warehouse(db: Path) -> duckdb.DuckDBPyConnection:
    if not Path(db).exists():
        raise AdjustmentError(f"{db}: 数据库不存在，请先加载数据 (no such database: load data first)")
    return duckdb.connect(str(db), read_only=True)


def _evidence(
    evidence: Path | None, evidence_bytes: bytes | None, evidence_name: str | None
) -> tuple[str, bytes] | None:
    """(name, content) of the evidence given as a file or as bytes with a name; at most 20 MB."""
    if evidence is not None and evidence_bytes is not None:
        raise AdjustmentError("证据只能给一份：文件或内容 (give the evidence as a file or as content, not both)")
    limit = f"{MAX_EVIDENCE_BYTES // (1024 * 1024)} MB"
    if evidence is not None:
        evidence = Path(evidence)
        if not evidence.is_file():
            raise AdjustmentError(f"证据文件不存在 (no such evidence file): {evidence}")
        if evidence.stat().st_size > MAX_EVIDENCE_BYTES:
            raise AdjustmentError(f"证据文件超过 {limit} (the evidence file is larger than {limit}): {evidence.name}")
        evidence_name, evidence_bytes = evidence_name or evidence.name, evidence.read_bytes()
    if evidence_bytes is None:
        return None
    if len(evidence_bytes) > MAX_EVIDENCE_BYTES:
        raise AdjustmentError(f"证据文件超过 {limit} (the evidence file is larger than {limit})")
    name = _text(Path(evidence_name or "").name, "证据文件名", "evidence file name", MAX_EVIDENCE_NAME)
    return name, bytes(evidence_bytes)


# --- the register ----------------------------------------------------------------------------------


def _audit(user: users.User, event: str, entry: dict, client: str | None, **detail: object) -> None:
    """One audit row for an entry: the user as actor, the unit as subject, the OS account in detail."""
    from pipelines.access.cli import actor  # the operating-system account

    points = f"{entry['points']:+g}" if entry["kind"] != VETO else ""
    audit.record(
        user.name,
        event,
        subject=entry["unit_id"],
        what=f"#{entry['adjustment_id']} {entry['period']} {entry['kind']}{points}",
        scope=entry["unit_path"],
        rows=1,
        detail={"os": actor(), "id": entry["adjustment_id"], "level": entry["level"], **detail},
        client=client,
    )


def _entry(con: duckdb.DuckDBPyConnection, id: int) -> dict:
    """One entry as listing() shows it, with its unit_path; AdjustmentError when there is none."""
    try:
        key = int(id)
    except (TypeError, ValueError):
        key = None
    rows: list = []
    if key is not None and 0 < key < 2**31:
        cur = register.run(con, "adjustments_listing", id=key, period=None, level=None, state=None, scope=None)
        names, rows = [d[0] for d in cur.description], cur.fetchall()
    if not rows:
        raise AdjustmentError(f"没有这条加减分记录 (no such adjustment): {id}")
    return dict(zip(names, rows[0], strict=True))


def add(
    db: Path,
    *,
    level: str,
    unit: str,
    period: str,
    kind: str,
    points: float,
    reason: str,
    by: str,
    evidence: Path | None = None,
    evidence_bytes: bytes | None = None,
    evidence_name: str | None = None,
    client: str | None = None,
) -> int:
    """Enter an adjustment (pending approval); returns its id. `by` must hold the admin right."""
    level, value = _level(level), _points(kind, points)
    reason = _text(reason, "事由", "reason", MAX_REASON)
    user = _user(by, admin=True)
    with _warehouse(db) as con:
        unit_id, unit_name, unit_path = _unit(con, level, unit)
        period = _period(con, period)
    attached = _evidence(evidence, evidence_bytes, evidence_name)
    with register.writing(db) as con:
        digest = register.store_evidence(db, attached[1]) if attached else None
        (new_id,) = register.run(con, "adjustment_next_id").fetchall()[0]
        entry = {
            "adjustment_id": new_id,
            "level": level,
            "unit_id": unit_id,
            "unit_path": unit_path,
            "period": period,
            "kind": kind,
            "points": value,
        }
        register.run(
            con,
            "adjustment_insert",
            id=new_id,
            level=level,
            unit_id=unit_id,
            unit_name=unit_name,
            unit_path=unit_path,
            period=period,
            kind=kind,
            points=value,
            reason=reason,
            evidence_name=attached[0] if attached else None,
            evidence_sha256=digest,
            entered_by=user.name,
            entered_at=register.now(),
        )
        evidence_detail = {"evidence_name": attached[0], "evidence_sha256": digest} if attached else {}
        _audit(user, "adjustment_added", entry, client, reason=reason, **evidence_detail)
    return int(new_id)


_VERBS = {"approve": "审批", "reject": "驳回", "revoke": "撤销"}
_DONE = {"approve": "approved", "reject": "rejected", "revoke": "revoked"}
_STATES_EN = {PENDING: "pending", APPROVED: "approved", REJECTED: "rejected", REVOKED: "revoked"}
_EVENTS = {"approve": "adjustment_approved", "reject": "adjustment_rejected", "revoke": "adjustment_revoked"}


def _decide(
    db: Path, id: int, decision: str, user: users.User, reason: str | None, allowed: tuple[str, ...], client: str | None
) -> None:
    """Append a decision to an entry in one of the `allowed` states, within the user's scope."""
    with register.writing(db) as con:
        entry = _entry(con, id)
        number = entry["adjustment_id"]
        if entry["state"] not in allowed:
            raise AdjustmentError(
                f"第 {number} 条处于“{entry['state']}”，不能{_VERBS[decision]} "
                f"(adjustment {number} is {_STATES_EN[entry['state']]}: it cannot be {_DONE[decision]})"
            )
        if decision in ("approve", "reject") and users.canonical(entry["entered_by"]) == user.name:
            raise AdjustmentError(
                f"登记人不能{_VERBS[decision]}自己登记的记录 "
                f"(the user who entered an adjustment cannot {decision} it): {user.name}"
            )
        if not covers(user.scope, entry["unit_path"]):
            raise AdjustmentError(
                f"单位 {entry['unit_id']} 不在用户 {user.name} 的范围内 (the unit is outside the user's scope)"
            )
        at = register.now()
        register.run(con, "decision_insert", id=int(number), decision=decision, by=user.name, at=at, reason=reason)
        _audit(user, _EVENTS[decision], entry, client, **({"reason": reason} if reason else {}))


def approve(db: Path, id: int, *, by: str, client: str | None = None) -> None:
    """Approve a pending entry: `by` holds the approve right, did not enter it, and has its unit in scope."""
    _decide(db, id, "approve", _user(by, approve=True), None, (PENDING,), client)


def reject(db: Path, id: int, *, by: str, reason: str, client: str | None = None) -> None:
    """Reject a pending entry, with a reason (as approve: another user, the right, the scope)."""
    user = _user(by, approve=True)
    reason = _text(reason, "驳回理由", "reason for rejecting", MAX_REASON)
    _decide(db, id, "reject", user, reason, (PENDING,), client)


def revoke(db: Path, id: int, *, by: str, reason: str, client: str | None = None) -> None:
    """Revoke a pending or approved entry, with a reason: `by` holds admin or approve, unit in scope."""
    user = _user(by, admin=True, approve=True)
    reason = _text(reason, "撤销理由", "reason for revoking", MAX_REASON)
    _decide(db, id, "revoke", user, reason, (PENDING, APPROVED), client)


def listing(
    db: Path, *, period: str | None = None, level: str | None = None, scope: str = "", state: str | None = None
) -> pd.DataFrame:
    """Every entry (of a period, a level, a state; with its unit at or under `scope`, "" the
    city), oldest first, with its state and the decision that set it: columns LISTING."""
    if state is not None and state not in STATES:
        raise AdjustmentError(f"状态须为 {'、'.join(STATES)} 之一 (state must be one of them): {state}")
    if level is not None:
        _level(level)
    with register.reading(db) as con:
        rows = register.run(con, "adjustments_listing", id=None, period=period, level=level, state=state, scope=scope)
        return rows.df()[list(LISTING)]


def in_force(db: Path) -> pd.DataFrame:
    """The entries that count now (approved, not revoked), oldest first: columns IN_FORCE, those
    of the results' run_adjustments minus run_id. Empty when the register does not exist."""
    with register.reading(db) as con:
        return register.run(con, "adjustments_in_force").df()[list(IN_FORCE)]


def evidence(db: Path, id: int, *, by: str | None = None, client: str | None = None) -> tuple[str, bytes]:
    """An entry's evidence (its original name, its content), checked against its SHA-256. With
    `by`, the download is that user's: the unit must be in their scope, an entry not in force
    is shown to administrators and approvers only, and the download is audited."""
    with register.reading(db) as con:
        entry = _entry(con, id)
    user = _user(by) if by is not None else None
    if user is not None:
        may = covers(user.scope, entry["unit_path"]) and (user.admin or user.approve or entry["state"] == APPROVED)
        if not may:
            raise AdjustmentError(f"用户 {user.name} 无权查看这份证据 (the user may not see this evidence): {id}")
    digest = entry["evidence_sha256"]
    if not isinstance(digest, str):
        raise AdjustmentError(f"第 {entry['adjustment_id']} 条没有证据文件 (this adjustment has no evidence)")
    data = register.read_evidence(db, digest)
    if data is None:
        raise AdjustmentError(f"证据文件不见了 (the evidence file is missing from the store): {digest[:12]}…")
    if register.sha256(data) != digest:
        raise AdjustmentError(f"证据文件已被改动，与 SHA-256 不符 (the evidence file was altered): {digest[:12]}…")
    if user is not None:
        _audit(user, "evidence_downloaded", entry, client, evidence_name=entry["evidence_name"], evidence_sha256=digest)
    return entry["evidence_name"], data

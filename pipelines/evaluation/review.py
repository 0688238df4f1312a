"""The review of a period's results, from computed to official (docs/review.md):

    草稿 ─submit─▶ 待审核 ─approve─▶ 公示中 ─publish─▶ 已发布 ─correct─▶ 公示中 (the new run) …
      ▲              │ reject           │ withdraw
      └──────────────┴──────────────────┘  (a correction withdrawn: back to 已发布, the old run)

One state per period (a quarter or a year, all levels), derived from its events in the
register (review_events), never stored. `official(db, period)` is the run every view shows:
the published one, or the pinned one while on notice (a correction on notice: the new run).
Every transition checks the state, the user's right and the dates inside the register's
writer gate, and is written to the audit log in the same step (a failed audit row undoes it).
Times are China time; `at=` sets the clock (else register.now(), which tests may replace).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb

from pipelines.access import users
from pipelines.evaluation import register
from pipelines.evaluation.workflow import ReviewError, record, results, text, user

DRAFT, REVIEW, NOTICE, PUBLISHED = "草稿", "待审核", "公示中", "已发布"
STATES = (DRAFT, REVIEW, NOTICE, PUBLISHED)
STATES_EN = {DRAFT: "draft", REVIEW: "in review", NOTICE: "on public notice", PUBLISHED: "published"}
NOTICE_DAYS = 5
MAX_NOTICE_DAYS = 60
MAX_REASON = 500
EVENTS = {
    "submit": "review_submitted",
    "approve": "review_approved",
    "reject": "review_rejected",
    "withdraw": "review_withdrawn",
    "publish": "review_published",
    "correct": "review_corrected",
}
VERBS = {
    "submit": "提交",
    "approve": "审核通过",
    "reject": "退回",
    "withdraw": "撤回",
    "publish": "发布",
    "correct": "更正",
}
# Which state each action may start from (correct only after publication).
FROM = {
    "submit": (DRAFT,),
    "approve": (REVIEW,),
    "reject": (REVIEW,),
    "withdraw": (REVIEW, NOTICE),
    "publish": (NOTICE,),
    "correct": (PUBLISHED,),
}


@dataclasses.dataclass(frozen=True)
class Publication:
    """One version of a period's official result: the run, when and by whom it was published,
    and the correction's reason (None for the first publication)."""

    run: int
    published_at: dt.datetime
    published_by: str
    reason: str | None = None


@dataclasses.dataclass(frozen=True)
class Status:
    """A period's state and what it rests on."""

    period: str
    state: str = DRAFT
    run: int | None = None  # the run pinned (待审核, 公示中) or published (已发布); None for a draft
    submitted_by: str | None = None  # who pinned it (submit or correct)
    notice_start: dt.date | None = None  # first day of public notice
    notice_end: dt.date | None = None  # last day of public notice
    correction: str | None = None  # the reason while a correction is in notice
    history: tuple[Publication, ...] = ()  # every publication, oldest first (corrections included)

    @property
    def official(self) -> int | None:
        """The run every view shows: the published or noticed run; None for a draft or in review."""
        return self.run if self.state in (NOTICE, PUBLISHED) else None

    @property
    def published(self) -> Publication | None:
        """The publication in force (kept while a correction is in notice)."""
        return self.history[-1] if self.history else None


def fold(period: str, events: list[dict]) -> Status:
    """The state after `events` (rows of review_events of one period, in order)."""
    s = Status(period)
    for e in events:
        action = e["action"]
        if action in ("submit", "correct"):
            s = dataclasses.replace(s, state=REVIEW, run=e["run_id"], submitted_by=e["acted_by"])
            if action == "correct":
                s = dataclasses.replace(s, correction=e["reason"])
        if action in ("approve", "correct"):
            s = dataclasses.replace(s, state=NOTICE, notice_start=e["notice_start"], notice_end=e["notice_end"])
        elif action in ("reject", "withdraw"):
            last = s.published
            back = Status(period, history=s.history)
            s = dataclasses.replace(back, state=PUBLISHED, run=last.run) if last else back
        elif action == "publish":
            done = Publication(s.run, e["acted_at"], e["acted_by"], s.correction)
            s = Status(period, PUBLISHED, s.run, history=(*s.history, done))
    return s


def _events(con: duckdb.DuckDBPyConnection, period: str | None) -> list[dict]:
    cur = register.run(con, "review_events_of", period=period)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def status_in(con: duckdb.DuckDBPyConnection, period: str) -> Status:
    """A period's state on an open register connection (reading or writing)."""
    return fold(period, _events(con, period))


def state(db: Path, period: str) -> Status:
    """A period's state (草稿 when nothing happened to it), with its runs, dates and history."""
    with register.reading(db) as con:
        return status_in(con, period)


def official(db: Path, period: str) -> int | None:
    """The official run of a period: the published one, or the pinned one while on notice."""
    return state(db, period).official


def officials(db: Path) -> dict[str, int]:
    """Every period's official run, for a reader that shows many periods at once."""
    return {s.period: s.official for s in statuses(db, with_drafts=False) if s.official is not None}


def warehouse_of(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The warehouse file a results connection (scores_db.connect_read) has attached, so a
    reader holding only the connection finds the register beside it."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'warehouse'").fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


def _period_key(period: str) -> tuple[int, int, str]:
    return (int(period[:4]), len(period) == 4, period)  # a year after its quarters


def statuses(db: Path, *, with_drafts: bool = True) -> list[Status]:
    """Every period's state: those with events, and (with_drafts) the latest run's other periods."""
    with register.reading(db) as con:
        events = _events(con, None)
    by_period: dict[str, list[dict]] = {}
    for e in events:
        by_period.setdefault(e["period"], []).append(e)
    drafts: list[str] = []
    if with_drafts:
        drafts = _latest_periods(db)
    periods = sorted(set(by_period) | set(drafts), key=_period_key)
    return [fold(p, by_period.get(p, [])) for p in periods]


def _latest_periods(db: Path) -> list[str]:
    from pipelines.engine.scores_db import scores_path
    from pipelines.serve import periods
    from pipelines.serve.query import frame

    if not Path(db).exists() or not scores_path(Path(db)).exists():
        return []
    with results(db) as con:
        latest = frame(con, "latest_run")["run_id"].iloc[0]
        return [] if latest != latest or latest is None else periods.periods(con, int(latest))


# --- transitions ----------------------------------------------------------------------------------

PERIOD_FORM = "2025Q3 或 2025 (a quarter such as 2025Q3 or a year)"


def _period(period: str) -> str:
    from pipelines.serve.periods import kind

    period = (period or "").strip()
    try:
        kind(period)
    except ValueError:
        raise ReviewError(f"期间须写作 {PERIOD_FORM}: {period}") from None
    return period


def _candidate(db: Path, period: str, run: int | None) -> int:
    """The run to pin: `run`, else the latest; it must hold the period, a year complete."""
    from pipelines.serve import periods
    from pipelines.serve.query import frame

    with results(db) as con:
        if run is None:
            latest = frame(con, "latest_run")["run_id"].iloc[0]
            if latest != latest or latest is None:
                raise ReviewError("尚未计算指数，请先运行 compute (no results yet: run compute first)")
            run = int(latest)
        if frame(con, "run", run=int(run)).empty:
            raise ReviewError(f"没有这次计算 (no such run): {run}")
        held = periods.run_periods(con, int(run)).set_index("period")
    if period not in held.index:
        raise ReviewError(f"运行 {run} 没有期间 {period} (run {run} has no results for this period)")
    if not bool(held["complete"].get(period, True)):
        raise ReviewError(
            f"{period} 年尚未结束，年度累计只能作为草稿 (the year is still running: year-to-date stays a draft)"
        )
    return int(run)


def _notice(start: dt.date | str | None, days: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of public notice: from `start` (today by default) for `days` days."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_NOTICE_DAYS:
        raise ReviewError(f"公示天数须为 1–{MAX_NOTICE_DAYS} (notice days must be 1–{MAX_NOTICE_DAYS}): {days}")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start.strip())
        except ValueError:
            raise ReviewError(f"公示开始日须写作 2025-10-08 (the notice start is a date): {start}") from None
    start = start or today
    if start < today:  # a notice dated back would end before anyone saw it
        raise ReviewError(f"公示开始日不能早于今天 (the notice cannot start before today, {today}): {start}")
    return start, start + dt.timedelta(days=days - 1)


def _refuse_state(s: Status, action: str) -> None:
    if s.state not in FROM[action]:
        hint = "；已发布的结果只能更正 (a published result can only be corrected)" if s.state == PUBLISHED else ""
        raise ReviewError(
            f"{s.period} 处于“{s.state}”，不能{VERBS[action]}{hint} "
            f"({s.period} is {STATES_EN[s.state]}: it cannot be {action} now)"
        )


def _transition(
    db: Path,
    period: str,
    action: str,
    who: users.User,
    *,
    at: dt.datetime | None,
    client: str | None,
    run: int | None = None,
    notice: tuple[dt.date, dt.date] | None = None,
    reason: str | None = None,
    before=None,
) -> Status:
    """Append one transition after checking the state (and `before(con, status, at)`), in the
    register's writer gate; audited in the same step. Returns the new state."""
    at = at or register.now()
    with register.writing(db) as con:
        s = status_in(con, period)
        _refuse_state(s, action)
        if action in ("approve", "reject") and users.canonical(s.submitted_by or "") == who.name:
            raise ReviewError(
                f"提交人不能{VERBS[action]}自己提交的结果 (the user who submitted cannot {action} it): {who.name}"
            )
        extra = before(con, s, at) if before else {}
        start, end = notice or (None, None)
        register.run(
            con,
            "review_event_insert",
            period=period,
            action=action,
            run_id=run,
            notice_start=start,
            notice_end=end,
            by=who.name,
            at=at,
            reason=reason,
        )
        after = status_in(con, period)
        record(
            who,
            EVENTS[action],
            subject=period,
            what=f"{period} {s.state}→{after.state} run {after.run or s.run}",
            client=client,
            period=period,
            run=after.run or s.run,
            notice_start=str(start) if start else None,
            notice_end=str(end) if end else None,
            reason=reason,
            **(extra or {}),
        )
        return after


def submit(
    db: Path, period: str, *, by: str, run: int | None = None, at: dt.datetime | None = None, client: str | None = None
) -> Status:
    """Pin a run (default: the latest) for a draft period and submit it for review (admin)."""
    period, who = _period(period), user(by, admin=True)
    pinned = _candidate(db, period, run)
    return _transition(db, period, "submit", who, at=at, client=client, run=pinned)


def approve(
    db: Path,
    period: str,
    *,
    by: str,
    notice_days: int = NOTICE_DAYS,
    notice_start: dt.date | str | None = None,
    at: dt.datetime | None = None,
    client: str | None = None,
) -> Status:
    """Approve the pinned run (approve right, not the submitter): public notice starts on
    `notice_start` (today by default) for `notice_days` days."""
    period, who = _period(period), user(by, approve=True)
    notice = _notice(notice_start, notice_days, (at or register.now()).date())
    return _transition(db, period, "approve", who, at=at, client=client, notice=notice)


def reject(
    db: Path, period: str, *, by: str, reason: str, at: dt.datetime | None = None, client: str | None = None
) -> Status:
    """Send a period in review back to draft, with a reason (approve right, not the submitter)."""
    period, who = _period(period), user(by, approve=True)
    reason = text(reason, "退回理由", "reason", MAX_REASON)
    return _transition(db, period, "reject", who, at=at, client=client, reason=reason)


def withdraw(
    db: Path, period: str, *, by: str, reason: str, at: dt.datetime | None = None, client: str | None = None
) -> Status:
    """Take a period in review or on notice back (admin): to draft, or a correction back to
    the publication it would have replaced."""
    period, who = _period(period), user(by, admin=True)
    reason = text(reason, "撤回理由", "reason", MAX_REASON)
    return _transition(db, period, "withdraw", who, at=at, client=client, reason=reason)


def publish(
    db: Path,
    period: str,
    *,
    by: str,
    deadline_days: int | None = None,
    at: dt.datetime | None = None,
    client: str | None = None,
) -> Status:
    """Publish a period on notice (admin) once its notice has ended and no objection is open;
    its rectification list becomes tracked items (deadline `deadline_days` after today)."""
    from pipelines.evaluation import rectification

    period, who = _period(period), user(by, admin=True)
    days = rectification.DEADLINE_DAYS if deadline_days is None else deadline_days

    def before(con: duckdb.DuckDBPyConnection, s: Status, now: dt.datetime) -> dict:
        if now.date() <= s.notice_end:
            raise ReviewError(
                f"公示期至 {s.notice_end} 结束，之后才能发布 (the notice runs until {s.notice_end}: publish after it)"
            )
        (open_,) = register.run(con, "objections_open", period=period).fetchall()[0]
        if open_:
            raise ReviewError(f"还有 {open_} 条异议未处理 (objections still open: {open_}): {period}")
        items = rectification.create(con, db, period, s.run, at=now, deadline_days=days)
        return {"items": items}

    return _transition(db, period, "publish", who, at=at, client=client, before=before)


def correct(
    db: Path,
    period: str,
    *,
    run: int,
    by: str,
    reason: str,
    notice_days: int = NOTICE_DAYS,
    notice_start: dt.date | str | None = None,
    at: dt.datetime | None = None,
    client: str | None = None,
) -> Status:
    """Put a newer run of a published period on notice again (更正, admin, with a reason); the
    published version stays official in the history and is replaced only when this is published."""
    period, who = _period(period), user(by, admin=True)
    reason = text(reason, "更正理由", "reason", MAX_REASON)
    pinned = _candidate(db, period, run)
    notice = _notice(notice_start, notice_days, (at or register.now()).date())

    def before(con: duckdb.DuckDBPyConnection, s: Status, now: dt.datetime) -> dict:
        if s.run == pinned:
            raise ReviewError(f"运行 {pinned} 已是发布的结果 (run {pinned} is already the published one)")
        return {"replaces": s.run}

    return _transition(
        db, period, "correct", who, at=at, client=client, run=pinned, notice=notice, reason=reason, before=before
    )

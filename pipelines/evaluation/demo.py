"""The demo city in every review state (`make run`, `python -m pipelines review demo`), so a
newcomer sees the procedure of docs/review.md at work, not a row of drafts:

- every quarter but the last two published, each a fortnight after its quarter ended (submitted
  by admin, approved by approver, a five-day notice, then published), and each complete year
  whose quarters are all published;
- the second-to-last quarter published, then corrected: adjustments (加分, 扣分) entered and
  approved in the adjustments register, a second computation, `correct` with that run, a new
  notice, published again — so its correction history shows;
- the last quarter on public notice today, with one open objection by the community user;
- the last year a draft (no events);
- rectification items in every status: 待整改, 整改中, 已完成, 已销号, 逾期.

Everything goes through the registers' API (which audits), with their `at=` clocks so events
carry past dates; the adjustments register has no clock, so its calls run under `_clock`. The
second run's record carries its real computation time (compute has no clock). The demo stages
once: it does nothing when the register holds any review event, and refuses any warehouse that
is not the synthetic demo city, so a department's own register is never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import duckdb

from pipelines import settings
from pipelines.access import users
from pipelines.access.scope import covers
from pipelines.evaluation import adjustments, objections, rectification, register, review
from pipelines.evaluation.workflow import ReviewError, results
from pipelines.synth.city import SUMMARY
from pipelines.vocabulary import BONUS, DEDUCTION

ADMIN, APPROVER = "admin", "approver"
UNIT_USERS = ("community", "street", "district")  # the narrowest one whose scope holds a unit acts for it
NOTICE_DAYS = 5
# Days after a period's end: submitted, approved (the notice starts the next day), published.
SUBMIT, APPROVE, PUBLISH = 5, 6, 13
YEAR_LATER = 20  # a year is reviewed after its fourth quarter
CORRECTED = 21  # days before today the correction was put on notice (its items' deadlines still ahead)
MEASURES = (
    "召开支部专题会议查找原因，制定整改方案，明确责任人和完成时限",
    "逐户走访补齐服务台账，组织党员认领群众诉求并按期回复",
    "按月开展主题党日，规范组织生活记录并由社区党委每月抽查",
)


@dataclasses.dataclass(frozen=True)
class Summary:
    """What stage() did: whether it staged anything, and the states it leaves."""

    staged: bool
    message: str
    states: dict[str, str] = dataclasses.field(default_factory=dict)
    items: dict[str, int] = dataclasses.field(default_factory=dict)
    correction_run: int | None = None
    objection: int | None = None

    def lines(self) -> list[str]:
        out = [self.message]
        if self.states:
            out.append("期间状态 (periods): " + "，".join(f"{p} {s}" for p, s in self.states.items()))
        if self.items:
            out.append("整改事项 (rectification items): " + "，".join(f"{s} {n}" for s, n in self.items.items()))
        if self.correction_run is not None:
            out.append(f"更正所用运行 (correction run): {self.correction_run}")
        if self.objection is not None:
            out.append(f"待处理异议 (open objection): {self.objection}")
        return out


# --- is this the demo city? -------------------------------------------------------------------------


def _generator_lists(path: Path) -> bool:
    """Whether a folder above `path` holds the synthetic city's summary and it lists the file."""
    for folder in path.parents:
        summary = folder / SUMMARY
        if summary.is_file():
            files = json.loads(summary.read_text(encoding="utf-8")).get("files", [])
            return path.relative_to(folder).as_posix() in files
    return False


def is_demo(db: Path) -> bool:
    """Whether the warehouse holds the synthetic demo city only: every file it ever loaded is
    listed by the generator's summary (`_generator/summary.json`) of the folder it came from.
    A department's own exports have no such summary."""
    if not Path(db).is_file():
        return False
    with duckdb.connect(str(db), read_only=True) as con:
        try:
            paths = [p for (p,) in con.execute("SELECT path FROM load_files").fetchall()]
        except duckdb.Error:
            return False
    found = []
    for name in paths:
        path = Path(name)
        candidates = [path] if path.is_absolute() else [Path.cwd() / path, settings.ROOT / path]
        found.append(any(c.is_file() and _generator_lists(c.resolve()) for c in candidates))
    return bool(found) and all(found)


# --- the clock ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _clock(at: dt.datetime) -> Iterator[None]:
    """register.now() reads `at` while the block lasts: for the adjustments register, whose
    functions take no `at=`."""
    with mock.patch.object(register, "now", lambda: at):
        yield


def _on(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def _end(period: str) -> dt.date:
    """The last day of a quarter (2025Q3) or a year (2024)."""
    year = int(period[:4])
    if len(period) == 4:
        return dt.date(year, 12, 31)
    month = 3 * int(period[-1])
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


# --- the steps ----------------------------------------------------------------------------------------


def _publish_after_end(db: Path, period: str, run: int, offset: int = 0) -> dt.datetime:
    """Submit, approve and publish a period a fortnight after it ended; returns the publication time."""
    end = _end(period) + dt.timedelta(days=offset)
    review.submit(db, period, by=ADMIN, run=run, at=_on(end + dt.timedelta(days=SUBMIT), 10))
    approved = end + dt.timedelta(days=APPROVE)
    review.approve(
        db,
        period,
        by=APPROVER,
        notice_days=NOTICE_DAYS,
        notice_start=approved + dt.timedelta(days=1),
        at=_on(approved, 15),
    )
    published = _on(end + dt.timedelta(days=PUBLISH), 9, 30)
    review.publish(db, period, by=ADMIN, at=published)
    return published


def _actor(path: str, present: dict[str, users.User]) -> str:
    """The narrowest demo unit user whose scope holds the unit (admin for the city's own)."""
    for name in UNIT_USERS:
        if name in present and covers(present[name].scope, path):
            return name
    return ADMIN


def _evidence(item: dict) -> tuple[bytes, str]:
    text = f"{item['unit_name']} {item['period']} 整改完成情况说明（演示数据）\n整改原因：{item['reasons']}\n"
    return text.encode("utf-8"), "整改完成情况说明.txt"


def _work(db: Path, item: dict, published: dt.datetime, how: str, present: dict[str, users.User]) -> None:
    """Report on an item as its unit would: `how` is where it stops — "open" (nothing reported),
    "measures" (整改中), "done" (已完成, with evidence) or "confirmed" (then 销号 by admin). One
    report each: every step is a register write and an audit row."""
    if how == "open":
        return
    who = _actor(item["unit_path"], present)
    measures = MEASURES[int(item["item_id"]) % len(MEASURES)]
    day = published.date()
    if how == "measures":
        at = _on(day + dt.timedelta(6), 10)
        rectification.update(db, item["item_id"], by=who, measures=measures, status=rectification.IN_PROGRESS, at=at)
        return
    data, name = _evidence(item)
    rectification.update(
        db,
        item["item_id"],
        by=who,
        measures=measures,
        status=rectification.DONE,
        evidence_bytes=data,
        evidence_name=name,
        at=_on(day + dt.timedelta(20), 15),
    )
    if how == "confirmed":
        rectification.confirm(db, item["item_id"], by=ADMIN, at=_on(day + dt.timedelta(24), 11))


def _items(db: Path, period: str) -> list[dict]:
    return rectification.listing(db, period=period).to_dict("records")


def _grids(db: Path, run: int, period: str, scope: str = ""):
    from pipelines.serve import units

    with results(db) as con:
        return units.scores(con, run, period, "grid", scope).sort_values(["composite_rank", "unit_id"])


def _adjust(db: Path, period: str, run: int, at: dt.datetime) -> str:
    """Enter and approve the second-to-last quarter's late adjustments: a 加分 for a listed grid,
    扣分 that put two grids on the rectification list. Returns the correction's reason."""
    grids = _grids(db, run, period)
    listed = set(rectification.listed(db, period, run).query("level == 'grid'")["unit_id"])
    bonus = grids[grids["unit_id"].isin(listed)].iloc[0]
    # The unlisted grids nearest to the lowest grade's bound (60): a deduction takes them below it.
    near = grids[~grids["unit_id"].isin(listed) & grids["composite"].between(60, 78)]
    deducted = near.sort_values("composite").head(2)
    entries = [(bonus, BONUS, 3.0, "防汛抢险中组织党员突击队，市防指通报表扬，加分材料补报")]
    entries += [
        (g, DEDUCTION, -float(math.ceil(g["composite"] - 60) + 1), "抽查发现服务记录重复登记，按规定扣分")
        for _, g in deducted.iterrows()
    ]
    for grid, kind, points, reason in entries:
        with _clock(at):
            number = adjustments.add(
                db, level="grid", unit=grid["unit_id"], period=period, kind=kind, points=points, reason=reason, by=ADMIN
            )
        with _clock(at + dt.timedelta(days=1)):
            adjustments.approve(db, number, by=APPROVER)
    named = "、".join(f"{g['unit_name']}{k}{abs(p):g}分" for g, k, p, _ in entries)
    return f"{period} 补登经审批的加减分后重新计算：{named}"


def _compute(db: Path, today: dt.date) -> int:
    from pipelines.engine import methodology
    from pipelines.engine.compute import StaleWarehouse, compute

    try:
        return compute(db, methodology.load(), as_of=today)
    except StaleWarehouse as e:
        raise ReviewError(f"{db}: 数据库由旧版本加载，请重新加载 (loaded by an older version: load again): {e}") from e


def _periods(db: Path) -> tuple[int, list[str], list[str]]:
    """The latest run, its quarters and its complete years, oldest first."""
    from pipelines.serve import periods
    from pipelines.serve.query import frame

    with results(db) as con:
        latest = frame(con, "latest_run")["run_id"].iloc[0]
        if latest != latest or latest is None:
            raise ReviewError("尚未计算指数，请先运行 compute (no results yet: run compute first)")
        held = periods.run_periods(con, int(latest))
    quarters = held[held["kind"] == periods.QUARTER]["period"].tolist()
    years = held[(held["kind"] != periods.QUARTER) & held["complete"].astype(bool)]["period"].tolist()
    return int(latest), quarters, years


# --- the entry point -----------------------------------------------------------------------------------


def _now_states(db: Path) -> dict[str, str]:
    return {s.period: s.state for s in review.statuses(db)}


def _counts(db: Path, at: dt.datetime) -> dict[str, int]:
    shown = rectification.listing(db, at=at)["status"].value_counts().to_dict()
    return {s: int(shown.get(s, 0)) for s in rectification.STATUSES}


def stage(db: Path, today: dt.date | None = None, log: Callable[[str], object] | None = None) -> Summary:
    """Leave the demo city in every review state (module docstring), once. Refuses (ReviewError)
    a warehouse that is not the demo city; does nothing when any review event exists. `log`
    hears that staging begins (it takes a minute: every step is a register write and an audit row)."""
    db = Path(db)
    if not is_demo(db):
        raise ReviewError(
            f"{db}: 不是演示数据，演示状态只布置在合成的演示城市上 "
            "(not the demo data: the demo states are staged on the synthetic demo city only)"
        )
    with register.reading(db) as con:
        events = len(register.run(con, "review_events_of", period=None).fetchall())
    if events:
        said = f"已有 {events} 条审核记录，未做改动 (review events exist already: nothing changed)"
        return Summary(False, said, states=_now_states(db))
    present = users.load()
    missing = [n for n in (ADMIN, APPROVER, *UNIT_USERS) if n not in present]
    if missing:
        raise ReviewError(
            f"缺少演示账号 {'、'.join(missing)}，请先运行 users demo (demo users missing: run `users demo` first)"
        )
    now = register.now()
    today = today or now.date()
    run, quarters, years = _periods(db)
    if len(quarters) < 3:
        raise ReviewError("演示至少需要三个季度的结果 (the demo needs results for at least three quarters)")
    *early, second, last = quarters
    if today <= _end(last) + dt.timedelta(days=CORRECTED + 1):
        raise ReviewError(f"演示需在 {last} 结束三周以后布置 (stage the demo three weeks after {last} ended)")
    clock = dt.datetime.combine(today, now.time()) if today == now.date() else _on(today, 12)
    if log:
        log("正在布置演示审核状态，约需一分钟 (staging the demo review states: about a minute)…")

    # Published after their quarter ended; a year once its quarters are all published.
    for period in early:
        published = _publish_after_end(db, period, run)
        for item in _items(db, period):
            _work(db, item, published, "confirmed", present)
    for year in (y for y in years if all(q in early for q in quarters if q.startswith(y))):
        published = _publish_after_end(db, year, run, offset=YEAR_LATER)
        for item in _items(db, year):
            _work(db, item, published, "confirmed", present)

    # The second-to-last quarter: an objection answered during its notice, then published.
    end = _end(second)
    community = present["community"]
    own = _grids(db, run, second, community.scope)
    review.submit(db, second, by=ADMIN, run=run, at=_on(end + dt.timedelta(SUBMIT), 10))
    review.approve(
        db, second, by=APPROVER, notice_start=end + dt.timedelta(APPROVE + 1), at=_on(end + dt.timedelta(APPROVE), 15)
    )
    asked = objections.file(
        db,
        period=second,
        level="grid",
        unit_id=own.iloc[-1]["unit_id"],
        by=community.name,
        text_="本网格季度内新增的志愿服务记录未见计入，请核实服务记录口径。",
        at=_on(end + dt.timedelta(APPROVE + 2), 11),
    )
    objections.resolve(
        db,
        asked,
        by=ADMIN,
        accept=False,
        note="经核查，所述服务记录登记于下一季度，已按服务日期计入下季度，本季度评分无误。",
        at=_on(end + dt.timedelta(APPROVE + 4), 16),
    )
    published = _on(end + dt.timedelta(PUBLISH), 9, 30)
    review.publish(db, second, by=ADMIN, at=published)
    # Its items: one reported done awaiting 销号, one with measures and one untouched past their
    # deadline (逾期), the others confirmed.
    for i, item in enumerate(_items(db, second)):
        _work(db, item, published, ("done", "measures", "open")[i] if i < 3 else "confirmed", present)

    # …corrected three weeks ago after late adjustments and a second computation, published again.
    corrected = _on(today - dt.timedelta(CORRECTED), 10)
    reason = _adjust(db, second, run, corrected - dt.timedelta(days=3))
    rerun = _compute(db, today)
    before = {i["item_id"] for i in _items(db, second)}
    review.correct(
        db,
        second,
        run=rerun,
        by=ADMIN,
        reason=reason,
        notice_days=NOTICE_DAYS,
        notice_start=corrected.date() + dt.timedelta(1),
        at=corrected,
    )
    republished = _on(corrected.date() + dt.timedelta(NOTICE_DAYS + 2), 9, 30)
    review.publish(db, second, by=ADMIN, at=republished)
    # The newly listed units' items, their deadline ahead: one with measures, the others untouched.
    new = [i for i in _items(db, second) if i["item_id"] not in before]
    for i, item in enumerate(new):
        _work(db, item, republished, "measures" if i == 0 else "open", present)

    # The last quarter: on notice today, with the community user's objection open.
    review.submit(db, last, by=ADMIN, run=rerun, at=_on(today - dt.timedelta(3), 10))
    review.approve(
        db,
        last,
        by=APPROVER,
        notice_days=NOTICE_DAYS,
        notice_start=today - dt.timedelta(1),
        at=_on(today - dt.timedelta(2), 15),
    )
    weakest = _grids(db, rerun, last, community.scope).iloc[-1]
    objection = objections.file(
        db,
        period=last,
        level="grid",
        unit_id=weakest["unit_id"],
        by=community.name,
        text_="本网格本季度两次主题党日已开展，但组织生活台账漏录，导致得分偏低，请核实。",
        at=_on(today - dt.timedelta(1), 16),
    )
    return Summary(
        True,
        "已布置演示审核状态 (demo review states staged)",
        states=_now_states(db),
        items=_counts(db, clock),
        correction_run=rerun,
        objection=objection,
    )

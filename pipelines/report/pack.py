"""The meeting pack's content: everything a quarterly (季度考评) or annual (年度考评) evaluation
meeting shows for one period, level and scope, read from the published marts of one run — the ranking, the red and
black lists and yellow cards, the rectification list (整改清单), scorecards, the scope's trend,
the map's boundaries and the top members — with the run's record, so every number can be
traced to the configuration and data that made it. A year adds what methodology v1.1 decides on:
the adjustments (加减分, 一票否决) the run applied, each unit's four quarters beside its year, and
whether the year is complete (else it is 年度累计, year-to-date); a quarter shows its adjustments
only when it has some, so a quarter without any is laid out exactly as before v1.1. Methodology
v1.2 adds the scope's reporting organisations by 人均正能量值 (双报到) and, for a quarter, each
unit's task completion (F6); a run without them is laid out as before.

The workbook (workbook.py) and the deck (deck.py) only lay this out; they decide nothing.
Scope and masking are the caller's: the dashboard passes the signed-in viewer's scope and
rights, the command line its `--scope` and `--clear-names`. Values reach SQL as parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.access.masking import mask_name
from pipelines.access.scope import as_unit
from pipelines.engine.methodology import Methodology, parse
from pipelines.report.rectification_rule import carded, rectification, scorecard
from pipelines.serve import followup as served_followup
from pipelines.serve import geometry, members, periods, runs
from pipelines.serve import points as served_points
from pipelines.serve import units as served_units
from pipelines.serve.query import published
from pipelines.vocabulary import LEVELS, RED_LIST

# Results computed before methodology v1.1 have no adjustment columns: these mean "none".
ADJUSTMENT_COLUMNS = {"composite_raw": None, "adjustment": 0.0, "veto": False}

DEFAULT_SCORECARDS = 30
TOP_MEMBERS = 20
TOP_ORGS = 20  # reporting organisations in the 双报到 sheet (the slide shows the first ten)


class PackError(ValueError):
    """A pack that cannot be made (no such run, period or level); the message says why."""


@dataclass(frozen=True)
class Pack:
    period: str
    previous: str | None  # the period before of the same kind (quarter or year) in the run (None for the first)
    level: str
    scope: str  # "" for the whole city, else 区县, 区县/街道 or 区县/街道/社区
    run: dict  # run_id, computed_at, methodology_version, config_hash, data_batch, data_digest, loaded_at, data_date
    methodology: Methodology
    units: pd.DataFrame  # the level's units in scope, in rank order (published ranks of the whole level)
    scope_history: pd.DataFrame  # the scope's own unit (全市, a district…) in every quarter of the run
    rectification: pd.DataFrame  # one row per unit the rules select, weakest indicators and organisation
    scorecards: list[tuple[dict, pd.DataFrame]]  # (unit row, its indicators) for the first units by rank
    members: pd.DataFrame  # the top members of the scope by vanguard score
    geometry: list[dict] = field(default_factory=list)  # GeoJSON features of the units (id = unit_id)
    names_shown: bool = False  # members' names in clear (a viewer with pii), else masked
    generated_at: dt.datetime = field(default_factory=dt.datetime.now)
    generated_by: str = ""
    kind: str = periods.QUARTER  # or periods.YEAR
    complete: bool = True  # False: a year still running or missing quarters (年度累计)
    year_quarters: tuple[str, ...] = ()  # a year's quarters with data in the run, oldest first
    adjustments: pd.DataFrame = field(default_factory=pd.DataFrame)  # applied entries of the period, level, scope
    quarterly: pd.DataFrame = field(default_factory=pd.DataFrame)  # a year: unit_id, its four quarters' composites
    scope_years: pd.DataFrame = field(default_factory=pd.DataFrame)  # a year: the scope's own unit in every year
    # Not the period's official run (none yet, or another run named): every sheet and slide says 草稿.
    draft: bool = False
    review: object = None  # the period's review.Status (state, notice dates, publications); None: unknown
    # 上期整改情况: the tracked rectification items of `previous` (the level's, in scope) and
    # their status at `followup_at` (when the pack was built); empty when there are none.
    followup: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=served_followup.COLUMNS))
    followup_at: dt.datetime | None = None
    # 双报到 (methodology v1.2): the scope's top reporting organisations by 人均正能量值, ranked ones
    # first; None when the run has no 正能量值 (computed before v1.2): no sheet, no slide.
    reporting_orgs: pd.DataFrame | None = None
    points_rule: dict = field(default_factory=dict)  # the run's points parameters (serve.points.rates)

    @property
    def task_completion(self) -> bool:
        """Whether the ranking shows F6 任务完成率 (a quarter of a run that scored it)."""
        return "F6" in self.units.columns

    @property
    def is_year(self) -> bool:
        return self.kind == periods.YEAR

    @property
    def adjusted(self) -> bool:
        """Whether the period has adjustments in scope: the ranking then shows the composite
        before and after them (a year always does), and the pack lists them."""
        if not self.adjustments.empty:
            return True
        u = self.units
        points = u["adjustment"].fillna(0) != 0 if "adjustment" in u else pd.Series(False, index=u.index)
        vetoed = u["veto"].fillna(False).astype(bool) if "veto" in u else pd.Series(False, index=u.index)
        return bool((points | vetoed).any())

    @property
    def quotas(self) -> tuple[tuple[str, float], ...]:
        """The methodology's grade quotas (名额控制): (grade, share), best grade first; () for none."""
        return tuple(getattr(self.methodology, "quotas", ()))

    @property
    def scope_name(self) -> str:
        return self.scope.replace("/", " · ") if self.scope else "全市"

    @property
    def lowest_grade(self) -> str:
        return self.methodology.lowest_grade

    @property
    def ranked(self) -> pd.DataFrame:
        return self.units[self.units["composite_rank"].notna()]

    def listed(self, name: str) -> pd.DataFrame:
        return listed(self.units, name)

    @property
    def yellow_cards(self) -> pd.DataFrame:
        return self.units[carded(self.units)]

    @property
    def trace(self) -> str:
        """The line every page and slide carries: run, methodology version and hash."""
        r = self.run
        line = f"运行 #{r['run_id']} · 方法 {r['methodology_version']} · 配置 {str(r['config_hash'])[:12]}"
        # The footer of every sheet and slide: a draft or a result on notice says so there too.
        if self.draft:
            return f"{line} · 草稿（未经审核公示）"
        return f"{line} · 公示中" if self.on_notice else line

    @property
    def on_notice(self) -> bool:
        """The official run while the period is on public notice (公示中)."""
        return not self.draft and getattr(self.review, "state", None) == "公示中"


def listed(units: pd.DataFrame, name: str) -> pd.DataFrame:
    """The units on the red list (红榜, best first) or the black list (黑榜, worst first)."""
    rows = units[units["list"] == name]
    return rows.sort_values("composite_rank", ascending=name == RED_LIST, kind="stable")


# The run record's fields a pack carries (with loaded_at and data_date), in this order.
RUN_FIELDS = ("run_id", "computed_at", "methodology_version", "config_hash", "config_text", "data_batch", "data_digest")


def _run(con: duckdb.DuckDBPyConnection, run: int | None, period: str, draft: bool) -> tuple[dict, runs.Choice]:
    """The record of the run the pack reads (runs.choose: `run`, else the period's official run,
    else the latest as a draft if `draft`), when its data was loaded and stands, and the choice."""
    choice = runs.choose(con, run, period, draft)
    if choice.run is None:
        if run is not None:
            raise PackError(f"run {run}: 没有这次计算 (no such run)")
        if runs.choose(con, None, None).run is None:
            raise PackError("尚未计算指数 (no results yet)")
        raise PackError(f"{period}: 该期间尚无正式结果 (no official result for this period yet)")
    full = runs.record(con, choice.run)
    record = {k: full[k] for k in RUN_FIELDS}
    record["loaded_at"], record["data_date"] = runs.loaded_at(con, record), runs.data_date(con)
    return record, choice


def _with_adjustments(units: pd.DataFrame) -> pd.DataFrame:
    """The units with composite_raw, adjustment and veto, as results before v1.1 mean them."""
    missing = {k: v for k, v in ADJUSTMENT_COLUMNS.items() if k not in units.columns}
    if not missing:
        return units
    out = units.assign(**{k: v for k, v in missing.items() if v is not None})
    return out.assign(composite_raw=out["composite"]) if "composite_raw" in missing else out


def _adjustments(
    con: duckdb.DuckDBPyConnection, run: int, period: str, level: str, scope: str, units: pd.DataFrame
) -> pd.DataFrame:
    """The entries the run applied to the level's units in scope for the period, with the unit's
    name and its composite before and after, in rank order."""
    rows = served_units.adjustments(con, run, scope=scope, period=period, level=level)
    named = units[["unit_id", "unit_name", "composite_rank", "composite_raw", "composite"]]
    out = rows.merge(named, on="unit_id", how="left")
    order = ["composite_rank", "unit_id", "adjustment_id"]
    return out.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


def _quarterly(
    con: duckdb.DuckDBPyConnection, run: int, year: str, level: str, scope: str, units: pd.DataFrame
) -> pd.DataFrame:
    """unit_id and its composite in each of the year's four quarters (None where it has none),
    in the ranking's order."""
    labels = [f"{year}Q{q}" for q in range(1, 5)]
    rows = served_units.level_history(con, run, level, scope, kind=periods.QUARTER)
    wide = rows[rows["period"].isin(labels)].pivot(index="unit_id", columns="period", values="composite")
    wide = wide.reindex(columns=labels)
    return units[["unit_id"]].merge(wide, left_on="unit_id", right_index=True, how="left").reset_index(drop=True)


def _scorecards(
    m: Methodology, units: pd.DataFrame, values: dict[str, dict], limit: int
) -> list[tuple[dict, pd.DataFrame]]:
    return [
        (unit, scorecard(m, unit, values.get(unit["unit_id"], {})))
        for unit in units.head(max(0, limit)).to_dict("records")
    ]


def _indicator_values(
    con: duckdb.DuckDBPyConnection, run: int, period: str, level: str, chosen: pd.DataFrame
) -> dict[str, dict]:
    """The chosen units' indicator values and scores as the run scored them, by unit id (read
    once for the rectification list and the scorecards)."""
    rows = served_units.indicator_values(con, run, period, level)
    return rows[rows["unit_id"].isin(chosen["unit_id"])].set_index("unit_id").to_dict("index")


def _scores_f6(m: Methodology, values: dict[str, dict]) -> bool:
    """Whether the run scored F6 任务完成率: its methodology names it, or its results hold a value
    (an older run in a migrated results file has the column, empty, and no such indicator)."""
    rows = list(values.values())
    if not rows or "F6" not in rows[0]:
        return False
    named = any(i.code == "F6" for i in m.indicators)
    return named or any(r.get("F6") is not None and r.get("F6") == r.get("F6") for r in rows)


MEMBER_COLUMNS = ["name", "grid_id", "grid_name", "services", "hours", "score", "tier"]


def _members(con: duckdb.DuckDBPyConnection, run: int, period: str, scope: str, show_names: bool) -> pd.DataFrame:
    """The scope's top members of the quarter by vanguard score, names masked unless shown."""
    if not published(con, "member_scores"):
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    rows = members.listed(con, run, period, scope, "top", TOP_MEMBERS)[MEMBER_COLUMNS]
    return rows if show_names else rows.assign(name=rows["name"].map(mask_name))


def _geometry(con: duckdb.DuckDBPyConnection, level: str, scope: str) -> list[dict]:
    rows = geometry.units(con, level, scope)
    return [] if rows is None else geometry.features(rows)


def build(
    con: duckdb.DuckDBPyConnection,
    period: str,
    level: str,
    scope: str = "",
    *,
    run: int | None = None,
    show_names: bool = False,
    scorecards: int = DEFAULT_SCORECARDS,
    generated_by: str = "",
    draft: bool = True,
    at: dt.datetime | None = None,
) -> Pack:
    """The pack for `period`, `level` and `scope` from the run `run` (default: the period's
    official run; without one the latest, labelled 草稿, unless `draft` is False: then PackError),
    on a read connection to the published warehouse and results (scores_db.connect_read).
    The previous period's rectification items show their status at `at` (China time; default:
    the register's clock now)."""
    if level not in LEVELS:
        raise PackError(f"level {level}: 层级应为 {', '.join(LEVELS)}")
    record, choice = _run(con, run, period, draft)
    run_id = int(record["run_id"])
    config_text = record.pop("config_text")
    m = parse(config_text, Path(f"run-{run_id}.toml"))
    labels = periods.periods(con, run_id)
    if period not in labels:
        raise PackError(f"period {period}: 本次计算没有该期间 (periods: {', '.join(labels)})")
    previous = periods.previous(labels, period)
    kind = periods.kind(period)
    ranked = _with_adjustments(served_units.scores(con, run_id, period, level, scope, previous))
    state = periods.run_periods(con, run_id).set_index("period")
    complete = bool(state["complete"].get(period, True))
    year = kind == periods.YEAR
    # Indicators are scored per quarter only: a year has no scorecards and no weakest indicators.
    values = None if year else _indicator_values(con, run_id, period, level, ranked)
    if values is not None and _scores_f6(m, values):
        ranked = ranked.assign(F6=ranked["unit_id"].map(lambda u: values.get(u, {}).get("F6")))
    reporting = served_points.orgs(con, run_id, period, scope)
    if at is None:
        from pipelines.evaluation.register import now  # the register's clock (China time)

        at = now()
    return Pack(
        period=period,
        previous=previous,
        level=level,
        scope=scope,
        run=record,
        methodology=m,
        units=ranked,
        scope_history=served_units.history(con, run_id, *as_unit(scope)),
        rectification=rectification(con, m, ranked, values),
        scorecards=[] if values is None else _scorecards(m, ranked, values, scorecards),
        members=_members(con, run_id, period, scope, show_names),
        geometry=_geometry(con, level, scope),
        names_shown=show_names,
        generated_by=generated_by,
        kind=kind,
        complete=complete,
        year_quarters=tuple(periods.quarters_of(labels, period)) if year else (),
        adjustments=_adjustments(con, run_id, period, level, scope, ranked),
        quarterly=_quarterly(con, run_id, period, level, scope, ranked) if year else pd.DataFrame(),
        scope_years=served_units.history(con, run_id, *as_unit(scope), kind=periods.YEAR) if year else pd.DataFrame(),
        draft=choice.draft,
        review=choice.status,
        followup=served_followup.items(con, previous, level, scope, at),
        followup_at=at,
        reporting_orgs=None if reporting is None else reporting.head(TOP_ORGS).reset_index(drop=True),
        points_rule=served_points.rates(config_text) if reporting is not None else {},
    )

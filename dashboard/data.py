"""The dashboard's one way to the data: the serving layer (pipelines/serve) cached, narrowed to
the signed-in viewer, with names masked. Pages call these functions; they hold no SQL, and
neither does this module.

Each query opens a short read-only connection (the loader and the engine publish by replacing
files, so nothing may hold a connection open), reads its result at once and closes. Results
are cached on the published files' modification times (a `Stamp`): a new load or computation
shows up at the next rerun, with no restart.

Access is enforced here, for every page, table, chart and download alike, in one shape:

- A public function (no leading underscore) narrows its `scope` to the viewer's with
  `_narrowed` (never wider, whatever a URL or widget asked), refuses a unit outside it
  (`_check_unit`: OutOfScope) and masks members' names unless the viewer may see them (and
  meeting mode is off); then it calls a cached function: `_read` with a serving-layer query
  where that query is all there is to it, else a cached function of its own.
- A cached function (`_`-prefixed, under st.cache_data) never calls `viewer()` nor a public
  function of this module: it reads only its arguments, so the narrowed scope is part of its
  cache key and one viewer's result can never be served to another
  (tests/dashboard/test_data_scope.py checks this, and the what-if in both orders).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import Any, TypeVar

import duckdb
import pandas as pd
import streamlit as st

from dashboard.viewer import OutOfScope
from dashboard.viewer import current as viewer
from pipelines import settings
from pipelines.access import audit, users
from pipelines.access.masking import mask_name
from pipelines.engine import whatif
from pipelines.engine.methodology import Methodology, parse
from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.report import pack
from pipelines.serve import geometry, members, points, quality, runs, units
from pipelines.serve import history as served_history
from pipelines.serve import periods as serve_periods
from pipelines.serve.periods import is_year

ROOT = settings.ROOT


def db_path() -> Path:
    """The published warehouse (PBI_DB; pipelines/settings.py resolves it from the repository root)."""
    return settings.db_path()


@dataclass(frozen=True)
class Stamp:
    """Which published files exist, and their modification times: the cache key."""

    db: str
    warehouse_mtime: int | None
    scores_mtime: int | None
    register_mtime: int | None = None  # the evaluation register beside the warehouse (review states)

    @property
    def loaded(self) -> bool:
        return self.warehouse_mtime is not None

    @property
    def computed(self) -> bool:
        return self.loaded and self.scores_mtime is not None


def stamp() -> Stamp:
    from pipelines.evaluation.register import evaluation_path

    db = db_path()
    scores, register = scores_path(db), evaluation_path(db)
    return Stamp(
        str(db),
        db.stat().st_mtime_ns if db.exists() else None,
        scores.stat().st_mtime_ns if scores.exists() else None,
        register.stat().st_mtime_ns if register.exists() else None,
    )


@contextmanager
def _connect(s: Stamp) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect_read(Path(s.db)) as con:
        yield con


def _query_name(query: FunctionType) -> str:
    """A serving-layer function as part of a cache key: its module and name."""
    return f"{query.__module__}.{query.__qualname__}"


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs={FunctionType: _query_name})
def _read(s: Stamp, query: Callable, *args: object) -> Any:
    """`query(con, *args)`, a serving-layer function (pipelines/serve), on a short read-only
    connection, cached on the published files and the arguments: the one cached read of every
    public function that only passes its (narrowed) arguments on."""
    if not query.__module__.startswith("pipelines.serve."):  # never a function that could reach the viewer
        raise ValueError(f"not a serving-layer query: {_query_name(query)}")
    with _connect(s) as con:
        return query(con, *args)


# --- the viewer: scope, rights and names, applied before any cached read ------------------


def _narrowed(scope: str) -> str:
    """The one place a scope meets the viewer: the asked scope within the viewer's, never wider."""
    return viewer().narrow(scope)


def _check_unit(s: Stamp, level: str, unit_id: str) -> None:
    """OutOfScope unless the unit lies within the viewer's scope (a district viewer asking for
    the city, a grid of another district)."""
    if not viewer().sees(unit_path(s, level, unit_id)):
        raise OutOfScope(f"{level} {unit_id}")


def _names_shown(frame: pd.DataFrame, column: str = "name") -> pd.DataFrame:
    """Members' names as the viewer may see them: in clear with `pii` outside meeting mode,
    else masked (张*明)."""
    if viewer().show_names:
        return frame
    return frame.assign(**{column: frame[column].map(mask_name)})


F = TypeVar("F", bound=Callable)


def _requires(right: Callable[[object], bool]) -> Callable[[F], F]:
    """A decorator refusing (OutOfScope) callers whose viewer lacks `right`."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: object, **kwargs: object) -> object:
            if not right(viewer()):
                raise OutOfScope(fn.__name__)
            return fn(*args, **kwargs)

        return call  # type: ignore[return-value]

    return decorate


# Data about the whole city's files (not attributable to a unit): city viewers only.
city_only = _requires(lambda v: v.city)
# The audit log and the users: administrators only.
admin_only = _requires(lambda v: v.admin)


# --- runs and quarters -----------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def latest_run(s: Stamp) -> dict | None:
    """The newest computation (serve.runs.resolve without a period; what an administrator's
    draft switch reads — pages read each period's run through `choice`): run id, time,
    methodology version, config hash and data digest."""
    if not s.computed:
        return None
    with _connect(s) as con:
        run = runs.resolve(con)
        record = None if run is None else runs.record(con, run)
    if record is None:
        return None
    return {k: record[k] for k in ("run_id", "computed_at", "methodology_version", "config_hash", "data_digest")}


# --- official runs: each period's run from the review register (docs/review.md) ---------------


@st.cache_data(show_spinner=False, max_entries=16)
def _reviews(s: Stamp) -> dict:
    """Every period with review events: its review.Status ({} before any review began)."""
    from pipelines.evaluation import review

    if s.register_mtime is None:
        return {}
    return {st_.period: st_ for st_ in review.statuses(Path(s.db), with_drafts=False)}


@st.cache_data(show_spinner=False, max_entries=64)
def _choice(s: Stamp, period: str, run: int | None) -> runs.Choice:
    with _connect(s) as con:
        return runs.choose(con, run, period)


def reviewing(s: Stamp) -> bool:
    """Whether the review procedure is in use: some period has a review event. Before that
    (legacy), every viewer reads the latest run, marked as not reviewed."""
    return bool(_reviews(s))


def official_periods(s: Stamp) -> pd.DataFrame:
    """The periods with an official run (公示中 or 已发布), as run_periods rows of their
    official runs, quarters first then years, oldest first."""
    rows = [
        frame[frame["period"] == p]
        for p, status in _reviews(s).items()
        if status.official is not None
        for frame in [run_periods(s, int(status.official))]
    ]
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["period", "kind", "complete"])
    key = out["period"].map(lambda p: (len(p) == 4, p))
    return out.assign(_k=key).sort_values("_k").drop(columns="_k").reset_index(drop=True)


def offered_periods(s: Stamp) -> pd.DataFrame:
    """The periods the viewer's selector offers (run_periods rows): a unit user only periods
    with an official run (once the review procedure is in use); an administrator, and everyone
    before it, the latest run's periods and any official period besides."""
    latest = latest_run(s)
    mine = run_periods(s, latest["run_id"]) if latest else pd.DataFrame(columns=["period", "kind", "complete"])
    if not reviewing(s):
        return mine
    official = official_periods(s)
    if not viewer().admin:
        return official
    extra = official[~official["period"].isin(mine["period"])]
    both = pd.concat([mine, extra], ignore_index=True)
    key = both["period"].map(lambda p: (len(p) == 4, p))
    return both.assign(_k=key).sort_values("_k").drop(columns="_k").reset_index(drop=True)


def choice(s: Stamp, period: str, draft: bool = False, run: int | None = None) -> runs.Choice:
    """The run a page reads for `period` (serve.runs.choose): its official run; with `draft`
    (administrators only) the latest computation, or `run` when named, marked draft unless it is
    the official one. Before any review (legacy) the latest run, a draft. OutOfScope for a unit
    user asking for a draft, a named run, or a period without an official run; a run whose
    choice is None (an administrator's period without an official run) is for the page to say."""
    v = viewer()
    if (draft or run is not None) and not v.admin:
        raise OutOfScope("draft" if draft else f"run {run}")
    latest = latest_run(s)
    if not reviewing(s):
        named = run if run is not None else (latest["run_id"] if latest else None)
        return _choice(s, period, named) if named is not None else runs.Choice(None, True, None)
    if draft and run is None and latest:
        run = int(latest["run_id"])
    picked = _choice(s, period, run)
    if not v.admin and (picked.draft or picked.run is None):
        raise OutOfScope(f"period {period}")
    return picked


def _official_only(s: Stamp, rows: pd.DataFrame) -> pd.DataFrame:
    """A run's rows over many periods (a history) as the viewer may see them: a unit user, once
    the review is in use, only the periods with an official run (never a draft period that the
    run also computed); everyone else every row."""
    if viewer().admin or not reviewing(s) or "period" not in rows:
        return rows
    shown = set(official_periods(s)["period"])
    return rows[rows["period"].isin(shown)].reset_index(drop=True)


def run_info(s: Stamp, run: int) -> dict:
    """A run's id, time, methodology version, config hash and data digest."""
    record = _run_record(s, run)
    return {k: record[k] for k in ("run_id", "computed_at", "methodology_version", "config_hash", "data_digest")}


def periods(s: Stamp, run: int) -> list[str]:
    """The run's quarters oldest first, then its years oldest first."""
    return _read(s, serve_periods.periods, run)


def run_periods(s: Stamp, run: int) -> pd.DataFrame:
    """Each period of the run: kind (quarter or year), whether it was over when the run was
    computed (a year still running is 年度累计, year-to-date), and its quarters with data."""
    return _read(s, serve_periods.run_periods, run)


def peer_classes(s: Stamp, run: int) -> list[str]:
    """The grid types that grids are ranked within."""
    return _read(s, units.peer_classes, run)


@st.cache_data(show_spinner=False, max_entries=8)
def run_methodology(s: Stamp, run: int) -> Methodology:
    """The methodology a run recorded (its text, not the file on disk today)."""
    with _connect(s) as con:
        text = runs.record(con, run)["config_text"]
    return parse(text, Path(f"run-{run}.toml"))


def run_record(s: Stamp, run: int) -> dict:
    """A run's record (see _run_record); the files' names only for city viewers (a file's
    name may say whose data it holds), their hashes for everyone."""
    record = _run_record(s, run)
    if not viewer().city:
        record = {**record, "files": record["files"].assign(file_name=None, kind=None)}
    return record


@st.cache_data(show_spinner=False, max_entries=8)
def _run_record(s: Stamp, run: int) -> dict:
    """A run's record: id, time, methodology version, config hash and text, data batch and
    digest, and `files` (content hash of every loaded file, with its name where the warehouse
    still knows it)."""
    with _connect(s) as con:
        row = runs.record(con, run)
        row["files"] = runs.files(con, row)
    return row


# --- places --------------------------------------------------------------------------------


def unit_path(s: Stamp, level: str, unit_id: str) -> str:
    """A unit's place, as scopes are written: "" for the city, a grid's community path, the
    unit id itself above (an unknown grid is placed nowhere a scope covers)."""
    if level == "city":
        return ""
    if level == "grid":
        return _read(s, units.grid_places).get(unit_id, "\0")
    return unit_id


def scope_tree(s: Stamp, scope: str = "") -> pd.DataFrame:
    """District, street and community of every community in scope that has grids."""
    return _read(s, units.scope_tree, _narrowed(scope))


# --- units ---------------------------------------------------------------------------------


def unit_scores(s: Stamp, run: int, period: str, level: str, scope: str = "") -> pd.DataFrame:
    """Every unit of a level in a quarter within the scope, ranked (unranked units last). Ranks
    are the published ranks of the whole level: a scope shows its rows, it does not re-rank."""
    return _unit_scores(s, run, period, level, _narrowed(scope))


@st.cache_data(show_spinner=False, max_entries=64)
def _unit_scores(s: Stamp, run: int, period: str, level: str, scope: str) -> pd.DataFrame:
    with _connect(s) as con:
        rows = units.scores(con, run, period, level, scope)
    return rows.drop(columns=["prev_composite", "prev_grade"])  # the pack's; pages read rank_change


# What a history reads: one run for every period (an int), or each period from its own run
# ((period, run) pairs: an official view's periods with their official runs).
HistoryRuns = int | served_history.Pairs


def history_runs(s: Stamp, choice: runs.Choice) -> HistoryRuns:
    """The runs a page's histories read, from the page's choice (View.choice): in an official
    view each period with an official run (published or on notice) from that run, so a past
    period shows what was published for it; in a draft view (and before any review) the run
    shown, for every period."""
    if choice.draft or not reviewing(s):
        return int(choice.run)
    return tuple(sorted((p, int(st_.official)) for p, st_ in _reviews(s).items() if st_.official is not None))


def unit_history(
    s: Stamp, runs_: HistoryRuns, level: str, unit_id: str, kind: str = serve_periods.QUARTER
) -> pd.DataFrame:
    """A unit's scores, grade, ranks and lists in every quarter (or every year: `kind`),
    oldest first: of one run, or of each period from its own run (`history_runs`)."""
    _check_unit(s, level, unit_id)
    if isinstance(runs_, tuple):
        return _read(s, served_history.unit, runs_, level, unit_id, kind)
    return _official_only(s, _read(s, units.history, runs_, level, unit_id, kind))


def level_history(
    s: Stamp, runs_: HistoryRuns, level: str, scope: str = "", kind: str = serve_periods.QUARTER
) -> pd.DataFrame:
    """Every unit of a level in scope in every quarter (or every year: `kind`): scores,
    grade, composite rank; of one run, or of each period from its own run (`history_runs`)."""
    if isinstance(runs_, tuple):
        return _read(s, served_history.level, runs_, level, _narrowed(scope), kind)
    return _official_only(s, _read(s, units.level_history, runs_, level, _narrowed(scope), kind))


def unit_adjustments(s: Stamp, run: int, period: str | None, level: str, unit_id: str) -> pd.DataFrame:
    """The adjustments (加分, 扣分, 一票否决) the run applied to a unit, of a period or all
    (None): kind, points, reason, evidence, who entered and who approved them."""
    _check_unit(s, level, unit_id)
    return _read(s, units.adjustments, run, viewer().scope, period, level, unit_id)


def run_adjustments(s: Stamp, run: int, scope: str = "") -> pd.DataFrame:
    """Every adjustment the run applied within the scope (the 加减分 page asks of the run it
    shows for the chosen period: View.choice.run)."""
    return _read(s, units.adjustments, run, _narrowed(scope))


def warnings(s: Stamp, run: int, period: str, level: str, scope: str = "") -> pd.DataFrame | None:
    """Units in scope with an early warning this quarter (composite down two quarters running,
    or a yellow card); None when the published results predate the warnings view."""
    return _read(s, units.warnings, run, period, level, _narrowed(scope))


def unit_indicators(s: Stamp, run: int, period: str, level: str, unit_id: str) -> dict[str, float | None]:
    """A unit's raw value (F1) and 0–100 score (F1_score) of every indicator in a quarter: its
    row of the level's table, which the what-if panel reads (and caches) too."""
    _check_unit(s, level, unit_id)
    level_rows = _read(s, units.indicator_values, run, period, level)
    row = level_rows[level_rows["unit_id"] == unit_id].drop(columns=["unit_id", "period"])
    return {} if row.empty else {k: (None if pd.isna(v) else float(v)) for k, v in row.iloc[0].items()}


def record_counts(s: Stamp, run: int, period: str, level: str = "city", unit_id: str = "全市") -> dict[str, int]:
    """Grids, counted members, services and demands of a quarter in a unit (the city by default)."""
    _check_unit(s, level, unit_id)
    return _read(s, units.counts, run, period, level, unit_id)


def unit_tiers(s: Stamp, run: int, period: str, level: str, unit_id: str) -> pd.DataFrame:
    """How many of a unit's counted members are in each tier in a quarter (every tier listed)."""
    _check_unit(s, level, unit_id)
    return _read(s, units.tiers, run, period, level, unit_id)


def unit_services(s: Stamp, period: str, level: str, unit_id: str, limit: int = 20) -> pd.DataFrame:
    """The latest service records of a unit's grids in a quarter, with the member's name as
    the viewer may see it — never an ID number."""
    _check_unit(s, level, unit_id)
    return _names_shown(_read(s, units.services, period, level, unit_id, limit))


def unit_demands(s: Stamp, period: str, level: str, unit_id: str, limit: int = 20) -> pd.DataFrame:
    """The latest resident demands of a unit's grids in a quarter."""
    _check_unit(s, level, unit_id)
    return _read(s, units.demands, period, level, unit_id, limit)


# --- what-if -------------------------------------------------------------------------------


def whatif_ranking(
    s: Stamp, run: int, period: str, level: str, weights: tuple[tuple[str, float], ...], scope: str = ""
) -> tuple[pd.DataFrame, dict]:
    """The level re-ranked by the engine with edited weights ((code, weight) pairs), nothing
    written: (units in the scope, biggest movers first; summary of the whole level, or of the
    units in scope for a viewer bound to a unit)."""
    city = viewer().city
    scope = _narrowed(scope)
    level_table = _whatif_level(s, run, period, level, weights)
    shown = level_table
    if scope:
        shown = level_table[level_table["unit_id"].isin(_unit_scores(s, run, period, level, scope)["unit_id"])]
    # A viewer bound to a unit learns nothing of the units outside it, not even in summary.
    return shown.reset_index(drop=True), whatif.summary(level_table if city else shown)


@st.cache_data(show_spinner=False, max_entries=32)
def _whatif_level(s: Stamp, run: int, period: str, level: str, weights: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """The whole level re-ranked (every viewer's what-if starts from this one table; the
    public function keeps the viewer's rows)."""
    m = run_methodology(s, run)
    published = _unit_scores(s, run, period, level, "")
    # The run's adjustment points (B + D) go onto the recomputed composite, as in the marts.
    points = published.set_index("unit_id")["adjustment"] if "adjustment" in published else None
    values = _read(s, units.indicator_values, run, period, level)
    recomputed = whatif.recompute(m, dict(weights), values, adjustment=points, year=is_year(period))
    return whatif.compare(published, recomputed)


# --- members -------------------------------------------------------------------------------


def member_summary(s: Stamp, run: int, period: str, scope: str = "") -> pd.DataFrame:
    """Counted members in scope per tier (every tier listed), with their mean score and how
    many were never active (no service, no claim) this quarter."""
    return _read(s, members.tiers, run, period, _narrowed(scope))


def member_scores_hist(s: Stamp, run: int, period: str, scope: str = "") -> pd.DataFrame:
    """Counted members in scope per 5-point band of the vanguard score."""
    return _read(s, members.bands, run, period, _narrowed(scope))


MEMBER_COLUMNS = ["member_no", "name", "grid_id", "services", "hours", "claims", "rating", "score", "tier"]


def member_list(s: Stamp, run: int, period: str, scope: str, which: str, limit: int = 50) -> pd.DataFrame:
    """The top members by vanguard score (which='top'), or members never active this quarter
    (which='inactive'), with their latest name as the viewer may see it."""
    return _names_shown(_member_list(s, run, period, _narrowed(scope), which, limit))


@st.cache_data(show_spinner=False, max_entries=32)
def _member_list(s: Stamp, run: int, period: str, scope: str, which: str, limit: int) -> pd.DataFrame:
    with _connect(s) as con:
        return members.listed(con, run, period, scope, which, limit)[MEMBER_COLUMNS]


def member_history(s: Stamp, runs_: HistoryRuns, member_no: int, scope: str = "") -> pd.DataFrame:
    """One member's quarters: grid, services, hours, claims, rating, score and tier (only
    quarters in which the member was counted in a grid in scope); of one run, or of each period
    from its own run (`history_runs`)."""
    if isinstance(runs_, tuple):
        return _read(s, served_history.member, runs_, member_no, _narrowed(scope))
    return _official_only(s, _read(s, members.history, runs_, member_no, _narrowed(scope)))


def member_identity(s: Stamp, member_no: int, scope: str = "") -> dict | None:
    """Who a member is, as the viewer may see it: name (masked unless allowed), gender,
    category, branch, grid, and ID number and phone in their masked forms only (the warehouse
    holds no other). None when the member's latest roster row (where they are now) is not in
    scope."""
    rows = _read(s, members.identity, member_no, _narrowed(scope))
    return None if rows.empty else _names_shown(rows).iloc[0].to_dict()


# --- quarantine and loads ------------------------------------------------------------------


def quarantined(s: Stamp, scope: str = "") -> int:
    """Rows of the loaded exports in scope held in quarantine (not in any index): a scope
    holds the rows naming one of its grids; the rest belong to the city."""
    return _quarantined(s, _narrowed(scope))


@st.cache_data(show_spinner=False, max_entries=16)
def _quarantined(s: Stamp, scope: str) -> int:
    if not s.loaded:
        return 0
    with _connect(s) as con:
        return quality.quarantined(con, scope)


@city_only
def load_ledger(s: Stamp) -> pd.DataFrame:
    """Every file of every load batch: rows read, loaded, quarantined, unchanged."""
    return _read(s, quality.ledger)


def quarantine_rows(s: Stamp, scope: str = "") -> pd.DataFrame:
    """Every quarantined row in scope as a user finds it: file, row, kind, column, value (ID
    numbers and phones masked by the loader), reason."""
    return _read(s, quality.quarantine, _narrowed(scope))


@st.cache_data(show_spinner=False)
def rule_names() -> dict[str, dict[str, str]]:
    """Each quarantine rule's reason without its row's value, by language (for filters)."""
    import re
    import tomllib

    from pipelines.load.batch import REASONS

    strip = [
        re.compile(r"（[^（）]*\{value\}[^（）]*）"),
        re.compile(r"[：:]?\s*\{value\}"),
        re.compile(r"“?\{header\}”?的?"),
    ]
    out: dict[str, dict[str, str]] = {}
    for rule, texts in tomllib.loads(REASONS.read_text(encoding="utf-8")).items():
        zh = texts["zh"]
        for pattern in strip:
            zh = pattern.sub("", zh)
        out[rule] = {"zh": zh.strip(), "en": texts["en"]}
    return out


# --- the map -------------------------------------------------------------------------------

# The map's frame: the plot is MAP_SIZE pixels (width, height) or wider; MapLibre's world is
# 512 pixels wide at zoom 0, doubling per level (Web Mercator).
MAP_SIZE = (760, 560)


def fit_view(bounds: tuple[float, float, float, float]) -> tuple[dict[str, float], float]:
    """Center and zoom that show the box (min_lon, min_lat, max_lon, max_lat) whole."""
    min_lon, min_lat, max_lon, max_lat = bounds

    def mercator(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    middle = (mercator(min_lat) + mercator(max_lat)) / 2  # the box's middle on the screen
    center = {"lon": (min_lon + max_lon) / 2, "lat": math.degrees(2 * math.atan(math.exp(middle)) - math.pi / 2)}
    across = math.log2(MAP_SIZE[0] * 360 / (512 * max(max_lon - min_lon, 1e-6)))
    up = math.log2(MAP_SIZE[1] * 2 * math.pi / (512 * max(mercator(max_lat) - mercator(min_lat), 1e-8)))
    return center, max(1.0, min(16.0, min(across, up) - 0.15))  # a margin around the box


def unit_geometry(s: Stamp, level: str, scope: str = "") -> dict | None:
    """The map boundaries of a level's units within the scope, from the loader's mart:
    {"geojson": FeatureCollection whose feature ids are unit ids, "center": {lon, lat},
    "zoom": float} (center None when no unit has a boundary). None when the warehouse was
    published before the loader built the mart (a new load builds it)."""
    return _unit_geometry(s, level, _narrowed(scope))


@st.cache_data(show_spinner=False, max_entries=32)
def _unit_geometry(s: Stamp, level: str, scope: str) -> dict | None:
    with _connect(s) as con:
        rows = geometry.units(con, level, scope)
    if rows is None:
        return None
    center, zoom = (None, 1.0)
    if len(rows):
        bounds = (rows["min_lon"].min(), rows["min_lat"].min(), rows["max_lon"].max(), rows["max_lat"].max())
        center, zoom = fit_view(tuple(float(b) for b in bounds))
    return {
        "geojson": {"type": "FeatureCollection", "features": geometry.features(rows)},
        "center": center,
        "zoom": zoom,
    }


def outside_geometry(s: Stamp) -> list[dict]:
    """For a viewer bound to a unit, the boundaries of the units beside it (the other units of
    its level under the same parent: other districts for a district) as anonymous features —
    no id, name or score — drawn grey on the map for orientation. None for city viewers."""
    v = viewer()
    return [] if v.city else _read(s, geometry.beside, v.scope)


# --- the meeting pack ----------------------------------------------------------------------


def meeting_pack(
    s: Stamp, run: int, period: str, level: str, scope: str = "", scorecards: int = 30, draft: bool = False
) -> pack.Pack:
    """The quarterly meeting pack of a level in scope (pipelines/report/pack.py): its ranking,
    lists, rectification list, last period's rectification items (their status today),
    scorecards, trend, boundaries and top members, with members' names as the viewer may see
    them and the viewer named as its maker. A draft (`draft`: the page shows one, View.choice)
    is a draft pack, 草稿 on every sheet and slide, as the command line makes it."""
    from pipelines.evaluation.register import now

    v = viewer()
    today = now().date()  # the items' status is of the day: the cache keeps it no longer
    return _meeting_pack(s, run, period, level, _narrowed(scope), scorecards, v.show_names, v.name, draft, today)


@st.cache_data(show_spinner=False, max_entries=8)
def _meeting_pack(
    s: Stamp,
    run: int,
    period: str,
    level: str,
    scope: str,
    scorecards: int,
    show_names: bool,
    name: str,
    draft: bool,
    today: dt.date,
) -> pack.Pack:
    from pipelines.evaluation.register import now

    with _connect(s) as con:
        made = {"show_names": show_names, "scorecards": scorecards, "generated_by": name, "at": now()}
        p = pack.build(con, period, level, scope, run=run, **made)
    # The run named is a draft unless it is the period's official run; a page showing a draft
    # (however it came to) never offers a pack without the mark.
    return dataclasses.replace(p, draft=True) if draft and not p.draft else p


# --- the evaluation register (加减分): read and written at each click, never cached -------------
#
# The register (pipelines/evaluation) changes while a page is open and every change is audited
# there; here each call is checked against the viewer: their scope (an entry's unit must lie in
# it) and their rights (`admin` enters, `approve` decides, either revokes).

can_enter = _requires(lambda v: v.admin)
can_decide = _requires(lambda v: v.approve)
can_revoke = _requires(lambda v: v.admin or v.approve)


def _register():  # imported here: the register package is optional for every other page
    from pipelines.evaluation import adjustments as register

    return register


def adjustment_entries(s: Stamp, period: str | None = None, state: str | None = None) -> pd.DataFrame:
    """The register's entries concerning units within the viewer's scope, newest first (see
    pipelines.evaluation.adjustments.listing). A viewer with neither `admin` nor `approve`
    sees the approved (已生效) entries only, whatever `state` asks."""
    v = viewer()
    return _scoped_entries(s, period, state if v.admin or v.approve else _register().APPROVED)


def _scoped_entries(s: Stamp, period: str | None, state: str | None) -> pd.DataFrame:
    """The register's entries of units within the viewer's scope (the register narrows by the
    scope; each unit is checked here again), newest first."""
    v = viewer()
    rows = _register().listing(Path(s.db), period=period, scope=v.scope, state=state)
    keep = pd.Series([v.sees(unit_path(s, lv, u)) for lv, u in zip(rows["level"], rows["unit_id"], strict=True)])
    return rows[keep.to_numpy(dtype=bool)].sort_values("adjustment_id", ascending=False).reset_index(drop=True)


def _entry(s: Stamp, adjustment_id: int) -> dict:
    """An entry of the register (any state) within the viewer's scope; OutOfScope for one
    outside it or unknown."""
    rows = _scoped_entries(s, None, None)
    row = rows[rows["adjustment_id"] == adjustment_id]
    if row.empty:
        raise OutOfScope(f"adjustment {adjustment_id}")
    return row.iloc[0].to_dict()


@can_enter
def add_adjustment(
    s: Stamp,
    *,
    level: str,
    unit_id: str,
    period: str,
    kind: str,
    points: float,
    reason: str,
    evidence_name: str | None = None,
    evidence_bytes: bytes | None = None,
) -> int:
    """Enter an adjustment against a unit in scope, by the viewer (pending until another user
    approves it); AdjustmentError for an entry the register refuses."""
    _check_unit(s, level, unit_id)
    return _register().add(
        Path(s.db),
        level=level,
        unit=unit_id,
        period=period,
        kind=kind,
        points=points,
        reason=reason,
        by=viewer().name,
        evidence_bytes=evidence_bytes,
        evidence_name=evidence_name if evidence_bytes is not None else None,
    )


@can_decide
def approve_adjustment(s: Stamp, adjustment_id: int) -> None:
    _entry(s, adjustment_id)
    _register().approve(Path(s.db), adjustment_id, by=viewer().name)


@can_decide
def reject_adjustment(s: Stamp, adjustment_id: int, reason: str) -> None:
    _entry(s, adjustment_id)
    _register().reject(Path(s.db), adjustment_id, by=viewer().name, reason=reason)


@can_revoke
def revoke_adjustment(s: Stamp, adjustment_id: int, reason: str) -> None:
    _entry(s, adjustment_id)
    _register().revoke(Path(s.db), adjustment_id, by=viewer().name, reason=reason)


def adjustment_evidence(s: Stamp, adjustment_id: int) -> Callable[[], bytes]:
    """The evidence file of an entry within the viewer's scope, as a function a download
    button calls on the click (it reads no session state: Streamlit runs it apart). A viewer
    who neither enters nor approves gets the evidence of entries in force, or applied by the
    latest run, only (never of one pending, rejected or revoked before it was applied)."""
    _entry(s, adjustment_id)
    v = viewer()
    if not (v.admin or v.approve):
        shown = set(adjustment_entries(s)["adjustment_id"])
        shown |= set(run_adjustments(s, latest_run(s)["run_id"])["adjustment_id"])
        if adjustment_id not in shown:
            raise OutOfScope(f"adjustment {adjustment_id}")
    return functools.partial(_evidence_bytes, Path(s.db), adjustment_id)


def _evidence_bytes(db: Path, adjustment_id: int) -> bytes:
    return _register().evidence(db, adjustment_id)[1]


# --- the access layer's own records (not the marts) ----------------------------------------


@admin_only
def audit_log(
    since: dt.datetime | None, until: dt.datetime | None, people: list[str], events: list[str], text: str
) -> pd.DataFrame:
    """Audit events newest first (never cached: the log grows while the page is open)."""
    return audit.read(since, until, people or None, events or None, text)


@admin_only
def audit_chain() -> tuple[int, list[int]]:
    """(events, sequence numbers where the hash chain breaks)."""
    return audit.verify()


@admin_only
def user_table() -> pd.DataFrame:
    """Every user with role, unit, rights, dates, last sign-in and any lockout in force."""
    logins, locked = audit.last_logins(), audit.lockouts()
    rows = [
        {**user.public(), "last_login": logins.get(user.name), "locked_until": locked.get(user.name)}
        for user in sorted(users.load().values(), key=lambda u: (users.ROLES[u.role], u.unit, u.name))
    ]
    columns = [
        "name",
        "role",
        "unit",
        "pii",
        "admin",
        "approve",
        "created_at",
        "password_changed_at",
        "last_login",
        "locked_until",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- 双报到 and the task list (methodology v1.2: 正能量值, F6) ----------------------------------


def _pairs(s: Stamp, runs_: HistoryRuns, kind: str | None = None) -> served_history.Pairs:
    """A history's (period, run) pairs: as given in an official view, else every period of the
    one run (the viewer's periods only: `_official_only`); of one kind when `kind` is given."""
    if isinstance(runs_, tuple):
        pairs = runs_
    else:
        offered = _official_only(s, run_periods(s, runs_))
        pairs = tuple((str(p), int(runs_)) for p in offered["period"])
    return tuple((p, r) for p, r in pairs if kind is None or serve_periods.kind(p) == kind)


def reporting_orgs(s: Stamp, run: int, period: str, scope: str = "") -> pd.DataFrame | None:
    """The reporting organisations (报到单位党组织) in scope with their 正能量值, 人均 and ranks,
    ranked ones first (serve.points.orgs); None when the run predates methodology v1.2."""
    return _read(s, points.orgs, run, period, _narrowed(scope))


def org_trend(s: Stamp, runs_: HistoryRuns, run: int, period: str, scope: str = "") -> pd.DataFrame:
    """The quarterly 人均正能量值 and ranks of the reporting organisations in scope (those of
    `period` in `run`), each quarter from its own run (`history_runs`)."""
    shown = reporting_orgs(s, run, period, scope)
    ids = () if shown is None else tuple(shown["org_id"])
    return _read(s, points.org_trend, _pairs(s, runs_, serve_periods.QUARTER), ids)


def _check_org(s: Stamp, run: int, period: str, org_id: str) -> None:
    shown = reporting_orgs(s, run, period)
    if shown is None or org_id not in set(shown["org_id"]):
        raise OutOfScope(f"reporting org {org_id}")


def org_members(s: Stamp, run: int, period: str, org_id: str, scope: str = "") -> pd.DataFrame:
    """The members an organisation in scope reported, those living in the scope, with their
    period's points; names as the viewer may see them."""
    _check_org(s, run, period, org_id)
    return _names_shown(_read(s, points.org_members, run, period, org_id, _narrowed(scope)))


def org_communities(s: Stamp, run: int, period: str, org_id: str, scope: str = "") -> pd.DataFrame:
    """The communities in scope an organisation's members served in the period, and where the
    demands it claimed were resolved."""
    _check_org(s, run, period, org_id)
    return _read(s, points.org_communities, run, period, org_id, _narrowed(scope))


def member_ledger(s: Stamp, runs_: HistoryRuns, member_no: int, scope: str = "") -> pd.DataFrame | None:
    """A member's 正能量值 ledger (一人一档): each period (quarters, then years) from its own
    run, each source's count and points at the rates of that run's methodology, points before
    and after the quarterly cap, year-to-date and tier; None when the results predate v1.2."""
    rows = _read(s, points.member_ledger, _pairs(s, runs_), member_no, _narrowed(scope))
    if rows is None or rows.empty:
        return rows
    parts = [
        points.ledger_by_source(part, points.rates(_run_record(s, int(run))["config_text"]))
        for run, part in rows.groupby("run_id", sort=False)
    ]
    out = pd.concat(parts).sort_index()
    return out.assign(_k=out["period"].map(lambda p: (len(p) == 4, p))).sort_values("_k").drop(columns="_k")


def member_services(s: Stamp, member_no: int, period: str, scope: str = "", limit: int = 10) -> pd.DataFrame:
    """A member's latest services up to the period's end, in grids within the scope."""
    return _read(s, points.member_services, member_no, period, _narrowed(scope), limit)


def member_demands(s: Stamp, member_no: int, period: str, scope: str = "", limit: int = 10) -> pd.DataFrame:
    """The latest demands a member claimed up to the period's end, in grids within the scope."""
    return _read(s, points.member_demands, member_no, period, _narrowed(scope), limit)


def unit_tasks(s: Stamp, period: str, level: str, unit_id: str) -> pd.DataFrame | None:
    """The tasks of a unit's grid organisations due in the period (done on time, late, open:
    the records behind F6); None when no task list was ever loaded."""
    _check_unit(s, level, unit_id)
    return _read(s, points.unit_tasks, period, level, unit_id)


def points_rule(s: Stamp, run: int) -> dict[str, float]:
    """The run's 正能量值 parameters (serve.points.rates): each source's points, the quarterly
    cap and the reported members an organisation needs to be ranked."""
    return points.rates(_run_record(s, run)["config_text"])

"""The dashboard's one way to the data: cached, read-only queries over the published marts.

Each query opens a short read-only connection (the loader and the engine publish by replacing
files, so nothing may hold a connection open), reads its result at once and closes. Results
are cached on the published files' modification times: a new load or computation shows up at
the next rerun, with no restart. Pages call these functions; they hold no SQL of their own.

Access is enforced here, for every page, table, chart and download alike: each function
narrows its `scope` to the signed-in viewer's (never wider, whatever a URL or widget asked),
refuses a unit outside it (OutOfScope), and returns members' names masked unless the viewer
may see them (and meeting mode is off). Filter values reach SQL only as parameters.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st

from dashboard.viewer import OutOfScope
from dashboard.viewer import current as viewer
from pipelines.access import audit, users
from pipelines.access.masking import mask_name
from pipelines.access.scope import (
    GRID_PATH,
    QUARANTINE_IN_SCOPE,
    UNIT_PATH,
    as_unit,
    quarantine_args,
    sql_args,
    sql_in,
)
from pipelines.engine import whatif
from pipelines.engine.methodology import Methodology, parse
from pipelines.engine.scores_db import connect_read, scores_path
from pipelines.report import pack

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "warehouse" / "pbi.duckdb"


def db_path() -> Path:
    """The published warehouse named by PBI_DB (relative paths from the project root)."""
    path = Path(os.environ.get("PBI_DB", DEFAULT_DB))
    return path if path.is_absolute() else ROOT / path


@dataclass(frozen=True)
class Stamp:
    """Which published files exist, and their modification times: the cache key."""

    db: str
    warehouse_mtime: int | None
    scores_mtime: int | None

    @property
    def loaded(self) -> bool:
        return self.warehouse_mtime is not None

    @property
    def computed(self) -> bool:
        return self.loaded and self.scores_mtime is not None


def stamp() -> Stamp:
    db = db_path()
    scores = scores_path(db)
    return Stamp(
        str(db),
        db.stat().st_mtime_ns if db.exists() else None,
        scores.stat().st_mtime_ns if scores.exists() else None,
    )


def _read(s: Stamp, sql: str, params: list | None = None) -> pd.DataFrame:
    with connect_read(Path(s.db)) as con:
        return con.execute(sql, params or []).df()


def _published(s: Stamp, name: str) -> bool:
    """Whether the published files hold this table or view (older ones lack newer marts).
    Asked, not caught: a missing name is not always an error here, DuckDB may find a Python
    variable of that name instead (a function of this module, say)."""
    sql = "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?"
    return bool(_read(s, sql, [name])["n"].iloc[0])


@st.cache_data(show_spinner=False, max_entries=16)
def latest_run(s: Stamp) -> dict | None:
    """The newest computation: run id, time, methodology version and hash."""
    if not s.computed:
        return None
    runs = _read(
        s,
        "SELECT run_id, computed_at, methodology_version, config_hash, data_digest FROM runs "
        "ORDER BY run_id DESC LIMIT 1",
    )
    return None if runs.empty else runs.iloc[0].to_dict()


@st.cache_data(show_spinner=False, max_entries=16)
def periods(s: Stamp, run: int) -> list[str]:
    """The run's quarters, oldest first."""
    return _read(s, "SELECT DISTINCT period FROM unit_scores WHERE run_id = ? ORDER BY period", [run])[
        "period"
    ].tolist()


# Every unit's place: its own path for communities, streets and districts (区县/街道/社区),
# its community's path for a grid. A scope ("" for the whole city) keeps the units at or
# under it; values reach SQL only as parameters (three: see sql_args).


def _scoped(table: str) -> str:
    return f"""
    SELECT u.*, {UNIT_PATH} AS path
    FROM {table} u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id"""


F = TypeVar("F", bound=Callable)


def _arguments(adjust: Callable[[dict], None]) -> Callable[[F], F]:
    """A decorator that hands the call's arguments, by name and with defaults, to `adjust`
    (which may rewrite or refuse them) before the call."""

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args: object, **kwargs: object) -> object:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            adjust(bound.arguments)
            return fn(*bound.args, **bound.kwargs)

        return call  # type: ignore[return-value]

    return decorate


def _narrow(a: dict) -> None:
    a["scope"] = viewer().narrow(a["scope"])


def _unit_seen(a: dict) -> None:
    if not viewer().sees(unit_path(a["s"], a["level"], a["unit_id"])):
        raise OutOfScope(f"{a['level']} {a['unit_id']}")


# The viewer's scope applied: the call's `scope` narrowed to it, never widened.
within_scope = _arguments(_narrow)
# The call's unit (`level`, `unit_id`) checked against the viewer's scope: OutOfScope if it
# lies outside (a district viewer asking for the city, a grid of another district).
unit_in_scope = _arguments(_unit_seen)


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


def _names_shown(frame: pd.DataFrame, column: str = "name") -> pd.DataFrame:
    """Members' names as the viewer may see them: in clear with `pii` outside meeting mode,
    else masked (张*明)."""
    if viewer().show_names:
        return frame
    return frame.assign(**{column: frame[column].map(mask_name)})


@st.cache_data(show_spinner=False, max_entries=8)
def _grid_places(s: Stamp) -> dict[str, str]:
    """Each grid's place: its community's path."""
    rows = _read(s, f"SELECT grid_id, {GRID_PATH} AS path FROM grids g")
    return dict(zip(rows["grid_id"], rows["path"], strict=True))


def unit_path(s: Stamp, level: str, unit_id: str) -> str:
    """A unit's place, as scopes are written: "" for the city, a grid's community path, the
    unit id itself above (an unknown grid is placed nowhere a scope covers)."""
    if level == "city":
        return ""
    if level == "grid":
        return _grid_places(s).get(unit_id, "\0")
    return unit_id


SCOPED_UNITS = _scoped("unit_scores")
IN_SCOPE = sql_in("path")


@within_scope
@st.cache_data(show_spinner=False, max_entries=8)
def scope_tree(s: Stamp, scope: str = "") -> pd.DataFrame:
    """District, street and community of every community in scope that has grids."""
    return _read(
        s,
        f"SELECT DISTINCT district, street, community FROM grids g WHERE {sql_in(GRID_PATH)} ORDER BY ALL",
        sql_args(scope),
    )


@st.cache_data(show_spinner=False, max_entries=8)
def peer_classes(s: Stamp, run: int) -> list[str]:
    """The grid types that grids are ranked within."""
    return _read(
        s,
        "SELECT DISTINCT peer_class FROM unit_scores WHERE run_id = ? AND level = 'grid' AND peer_class IS NOT NULL "
        "ORDER BY peer_class",
        [run],
    )["peer_class"].tolist()


@within_scope
@st.cache_data(show_spinner=False, max_entries=64)
def unit_scores(s: Stamp, run: int, period: str, level: str, scope: str = "") -> pd.DataFrame:
    """Every unit of a level in a quarter within the scope, ranked (unranked units last). Ranks
    are the published ranks of the whole level: a scope shows its rows, it does not re-rank."""
    return _read(
        s,
        f"SELECT * EXCLUDE (run_id) FROM ({SCOPED_UNITS}) WHERE run_id = ? AND period = ? AND level = ? "
        f"AND {IN_SCOPE} ORDER BY composite_rank NULLS LAST, unit_id",
        [run, period, level, *sql_args(scope)],
    )


@unit_in_scope
@st.cache_data(show_spinner=False, max_entries=32)
def record_counts(s: Stamp, run: int, period: str, level: str = "city", unit_id: str = "全市") -> dict[str, int]:
    """Grids, counted members, services and demands of a quarter in a unit (the city by
    default). The quarter is matched by its key and its date range, not by a label built for
    every row."""
    pkey, start, end = _quarter(period)
    grids = f"SELECT grid_no FROM grid_registry WHERE grid_id IN ({GRIDS_OF_UNIT})"
    unit = _unit_args(level, unit_id)
    row = _read(
        s,
        f"""SELECT
            (SELECT count(*) FROM grids WHERE grid_id IN ({GRIDS_OF_UNIT})) AS grids,
            (SELECT count(*) FROM member_scores WHERE run_id = ? AND pkey = ? AND grid_no IN ({grids})) AS members,
            (SELECT count(*) FROM services WHERE service_date >= ? AND service_date < ?
                AND grid_id IN ({GRIDS_OF_UNIT})) AS services,
            (SELECT count(*) FROM demands WHERE reported_at >= ? AND reported_at < ?
                AND grid_id IN ({GRIDS_OF_UNIT})) AS demands""",
        [*unit, run, pkey, *unit, start, end, *unit, start, end, *unit],
    ).iloc[0]
    return {k: int(v) for k, v in row.items()}


@within_scope
@st.cache_data(show_spinner=False, max_entries=16)
def quarantined(s: Stamp, scope: str = "") -> int:
    """Rows of the loaded exports in scope held in quarantine (not in any index): a scope
    holds the rows naming one of its grids; the rest belong to the city."""
    if not s.loaded:
        return 0
    return int(
        _read(s, f"SELECT count(*) AS n FROM quarantine q WHERE {QUARANTINE_IN_SCOPE}", quarantine_args(scope))[
            "n"
        ].iloc[0]
    )


@city_only
@st.cache_data(show_spinner=False, max_entries=8)
def load_ledger(s: Stamp) -> pd.DataFrame:
    """Every file of every load batch: rows read, loaded, quarantined, unchanged."""
    return _read(
        s,
        "SELECT batch_id, file_name, kind, rows_read, loaded, quarantined, unchanged, status, loaded_at "
        "FROM load_ledger ORDER BY batch_id DESC, file_id",
    )


@within_scope
@st.cache_data(show_spinner=False, max_entries=8)
def quarantine_rows(s: Stamp, scope: str = "") -> pd.DataFrame:
    """Every quarantined row in scope as a user finds it: file, row, kind, column, value (ID
    numbers and phones masked by the loader), reason."""
    return _read(
        s,
        "SELECT f.file_name AS file, q.row, q.kind, q.header AS column, q.value, q.reason, q.rule "
        f"FROM quarantine q JOIN load_files f USING (file_id) WHERE {QUARANTINE_IN_SCOPE} ORDER BY f.file_name, q.row",
        quarantine_args(scope),
    )


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


@st.cache_data(show_spinner=False, max_entries=8)
def run_methodology(s: Stamp, run: int) -> Methodology:
    """The methodology a run recorded (its text, not the file on disk today)."""
    text = _read(s, "SELECT config_text FROM runs WHERE run_id = ?", [run])["config_text"].iloc[0]
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
    row = _read(s, "SELECT * FROM runs WHERE run_id = ?", [run]).iloc[0].to_dict()
    hashes = json.loads(row["data_files"] or "[]")
    names = _read(
        s,
        "SELECT content_hash, file_name, kind FROM load_files WHERE list_contains(?::VARCHAR[], content_hash)",
        [hashes],
    )
    row["files"] = pd.DataFrame({"content_hash": hashes}).merge(names, on="content_hash", how="left")
    return row


@st.cache_data(show_spinner=False, max_entries=16)
def _indicator_values(s: Stamp, run: int, period: str, level: str) -> pd.DataFrame:
    """The raw indicator values of every unit of a level in a quarter, as the run scored them."""
    return _read(
        s,
        "SELECT * EXCLUDE (run_id, period, level) FROM indicator_scores WHERE run_id = ? AND period = ? AND level = ?",
        [run, period, level],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _whatif_level(s: Stamp, run: int, period: str, level: str, weights: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    m = run_methodology(s, run)
    recomputed = whatif.recompute(m, dict(weights), _indicator_values(s, run, period, level))
    return whatif.compare(unit_scores(s, run, period, level), recomputed)


def whatif_ranking(
    s: Stamp, run: int, period: str, level: str, weights: tuple[tuple[str, float], ...], scope: str = ""
) -> tuple[pd.DataFrame, dict]:
    """The level re-ranked by the engine with edited weights ((code, weight) pairs), nothing
    written: (units in the scope, biggest movers first; summary of the whole level, or of the
    units in scope for a viewer bound to a unit)."""
    level_table = _whatif_level(s, run, period, level, weights)
    scope = viewer().narrow(scope)
    shown = level_table
    if scope:
        shown = level_table[level_table["unit_id"].isin(unit_scores(s, run, period, level, scope)["unit_id"])]
    # A viewer bound to a unit learns nothing of the units outside it, not even in summary.
    return shown.reset_index(drop=True), whatif.summary(level_table if viewer().city else shown)


@unit_in_scope
@st.cache_data(show_spinner=False, max_entries=64)
def unit_history(s: Stamp, run: int, level: str, unit_id: str) -> pd.DataFrame:
    """A unit's scores, grade, ranks and lists in every quarter of the run, oldest first."""
    return _read(
        s,
        "SELECT * EXCLUDE (run_id) FROM unit_scores WHERE run_id = ? AND level = ? AND unit_id = ? ORDER BY period",
        [run, level, unit_id],
    )


@unit_in_scope
@st.cache_data(show_spinner=False, max_entries=64)
def unit_indicators(s: Stamp, run: int, period: str, level: str, unit_id: str) -> dict[str, float | None]:
    """A unit's raw value (F1) and 0–100 score (F1_score) of every indicator in a quarter: its
    row of the level's table, which the what-if panel reads (and caches) too."""
    level_rows = _indicator_values(s, run, period, level)
    row = level_rows[level_rows["unit_id"] == unit_id].drop(columns="unit_id")
    return {} if row.empty else {k: (None if pd.isna(v) else float(v)) for k, v in row.iloc[0].items()}


# The grids that make up a unit: the grid itself, or every grid under a community, street or
# district path (the city holds them all).
GRIDS_OF_UNIT = f"""
    SELECT grid_id FROM grids g
    WHERE CASE WHEN ? = 'grid' THEN grid_id = ?
               WHEN ? = 'city' THEN true
               ELSE {GRID_PATH} = ? OR starts_with({GRID_PATH}, ? || '/') END"""


def _unit_args(level: str, unit_id: str) -> list[str]:
    return [level, unit_id, level, unit_id, unit_id]


def _quarter(period: str) -> tuple[int, dt.date, dt.date]:
    """A quarter's key (20254) and its first day and the first day after it."""
    year, quarter = int(period[:4]), int(period[-1])
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return year * 10 + quarter, start, end


@unit_in_scope
@st.cache_data(show_spinner=False, max_entries=64)
def unit_tiers(s: Stamp, run: int, period: str, level: str, unit_id: str) -> pd.DataFrame:
    """How many of a unit's counted members are in each tier in a quarter (every tier listed)."""
    return _read(
        s,
        f"""SELECT t.tier, count(m.member_no) AS members
            FROM run_tiers t
            LEFT JOIN member_scores m ON m.run_id = t.run_id AND m.tier_no = t.tier_no AND m.pkey = ?
                 AND m.grid_no IN (SELECT grid_no FROM grid_registry WHERE grid_id IN ({GRIDS_OF_UNIT}))
            WHERE t.run_id = ? GROUP BY t.tier, t.tier_no ORDER BY t.tier_no""",
        [_quarter(period)[0], *_unit_args(level, unit_id), run],
    )


@unit_in_scope
def unit_services(s: Stamp, period: str, level: str, unit_id: str, limit: int = 20) -> pd.DataFrame:
    """The latest service records of a unit's grids in a quarter, with the member's name as
    the viewer may see it — never an ID number."""
    return _names_shown(_unit_services(s, period, level, unit_id, limit))


@st.cache_data(show_spinner=False, max_entries=32)
def _unit_services(s: Stamp, period: str, level: str, unit_id: str, limit: int) -> pd.DataFrame:
    _, start, end = _quarter(period)
    return _read(
        s,
        f"""WITH latest AS (
                SELECT service_date, grid_id, member_no, category, hours, beneficiaries, rating, description, record_id
                FROM services
                WHERE service_date >= ? AND service_date < ? AND grid_id IN ({GRIDS_OF_UNIT})
                ORDER BY service_date DESC, record_id LIMIT ?)
            SELECT l.service_date, l.grid_id, n.name, l.category, l.hours, l.beneficiaries, l.rating, l.description
            FROM latest l LEFT JOIN (
                SELECT member_no, arg_max(name, as_of) AS name FROM members
                WHERE member_no IN (SELECT member_no FROM latest) GROUP BY member_no) n USING (member_no)
            ORDER BY l.service_date DESC, l.record_id""",
        [start, end, *_unit_args(level, unit_id), limit],
    )


@unit_in_scope
@st.cache_data(show_spinner=False, max_entries=32)
def unit_demands(s: Stamp, period: str, level: str, unit_id: str, limit: int = 20) -> pd.DataFrame:
    """The latest resident demands of a unit's grids in a quarter."""
    _, start, end = _quarter(period)
    return _read(
        s,
        f"""SELECT reported_at, grid_id, category, resolved_at, resolved_level, satisfaction, description
            FROM demands WHERE reported_at >= ? AND reported_at < ? AND grid_id IN ({GRIDS_OF_UNIT})
            ORDER BY reported_at DESC, ticket_id LIMIT ?""",
        [start, end, *_unit_args(level, unit_id), limit],
    )


@within_scope
@st.cache_data(show_spinner=False, max_entries=32)
def level_history(s: Stamp, run: int, level: str, scope: str = "") -> pd.DataFrame:
    """Every unit of a level in scope in every quarter: scores, grade, composite rank."""
    return _read(
        s,
        f"""SELECT period, unit_id, unit_name, composite, fortress, vanguard, service, grade, composite_rank
            FROM ({SCOPED_UNITS}) WHERE run_id = ? AND level = ? AND {IN_SCOPE} ORDER BY period, unit_id""",
        [run, level, *sql_args(scope)],
    )


@within_scope
@st.cache_data(show_spinner=False, max_entries=32)
def warnings(s: Stamp, run: int, period: str, level: str, scope: str = "") -> pd.DataFrame | None:
    """Units in scope with an early warning this quarter (composite down two quarters running,
    or a yellow card); None when the published results predate the warnings view."""
    if not _published(s, "unit_warnings"):
        return None
    return _read(
        s,
        f"""SELECT unit_id, unit_name, prev2, prev1, composite, declined_twice, yellow_card
            FROM ({_scoped("unit_warnings")})
            WHERE run_id = ? AND period = ? AND level = ? AND {IN_SCOPE} AND (declined_twice OR yellow_card)
            ORDER BY composite - prev1, unit_id""",
        [run, period, level, *sql_args(scope)],
    )


# A quarter's counted members in scope, with their grid's place and their latest name.
SCOPED_MEMBERS = f"""
    WITH scoped AS (
        SELECT m.member_no, r.grid_id, m.services, m.hours, m.claims, m.rating, m.score, m.tier_no
        FROM member_scores m JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
        WHERE m.run_id = ? AND m.pkey = ? AND {sql_in(GRID_PATH)})"""


def _members_args(run: int, period: str, scope: str) -> list:
    return [run, _quarter(period)[0], *sql_args(scope)]


@within_scope
@st.cache_data(show_spinner=False, max_entries=32)
def member_summary(s: Stamp, run: int, period: str, scope: str = "") -> pd.DataFrame:
    """Counted members in scope per tier (every tier listed), with their mean score and how
    many were never active (no service, no claim) this quarter."""
    return _read(
        s,
        f"""{SCOPED_MEMBERS}
        SELECT t.tier, count(m.member_no) AS members, avg(m.score) AS mean_score,
               count(m.member_no) FILTER (WHERE m.services = 0 AND m.claims = 0) AS inactive
        FROM run_tiers t LEFT JOIN scoped m USING (tier_no)
        WHERE t.run_id = ? GROUP BY t.tier, t.tier_no ORDER BY t.tier_no""",
        [*_members_args(run, period, scope), run],
    )


@within_scope
@st.cache_data(show_spinner=False, max_entries=32)
def member_scores_hist(s: Stamp, run: int, period: str, scope: str = "") -> pd.DataFrame:
    """Counted members in scope per 5-point band of the vanguard score."""
    return _read(
        s,
        f"""{SCOPED_MEMBERS}
        SELECT least(floor(score / 5) * 5, 95) AS band, count(*) AS members FROM scoped GROUP BY band ORDER BY band""",
        _members_args(run, period, scope),
    )


@within_scope
def member_list(s: Stamp, run: int, period: str, scope: str, which: str, limit: int = 50) -> pd.DataFrame:
    """The top members by vanguard score (which='top'), or members never active this quarter
    (which='inactive'), with their latest name as the viewer may see it."""
    return _names_shown(_member_list(s, run, period, scope, which, limit))


@st.cache_data(show_spinner=False, max_entries=32)
def _member_list(s: Stamp, run: int, period: str, scope: str, which: str, limit: int) -> pd.DataFrame:
    if which not in ("top", "inactive"):
        raise ValueError(which)
    where, order = (
        ("true", "m.score DESC, m.member_no")
        if which == "top"
        else (
            "m.services = 0 AND m.claims = 0",
            "m.grid_id, m.member_no",
        )
    )
    return _read(
        s,
        f"""{SCOPED_MEMBERS}, chosen AS (
            SELECT m.* FROM scoped m WHERE {where} ORDER BY {order} LIMIT ?)
        SELECT c.member_no, n.name, c.grid_id, c.services, c.hours, c.claims, c.rating, c.score, t.tier
        FROM chosen c JOIN run_tiers t ON t.run_id = ? AND t.tier_no = c.tier_no
        LEFT JOIN (SELECT member_no, arg_max(name, as_of) AS name FROM members
                   WHERE member_no IN (SELECT member_no FROM chosen) GROUP BY member_no) n USING (member_no)
        ORDER BY {order.replace("m.", "c.")}""",
        [*_members_args(run, period, scope), limit, run],
    )


@within_scope
@st.cache_data(show_spinner=False, max_entries=64)
def member_history(s: Stamp, run: int, member_no: int, scope: str = "") -> pd.DataFrame:
    """One member's quarters: grid, services, hours, claims, rating, score and tier (only
    quarters in which the member was counted in a grid in scope)."""
    return _read(
        s,
        f"""SELECT m.period, m.grid_id, m.services, m.hours, m.claims, m.rating, m.score, m.tier
           FROM member_scores_v m JOIN grids g USING (grid_id)
           WHERE m.run_id = ? AND m.member_no = ? AND {sql_in(GRID_PATH)}
           ORDER BY m.period""",
        [run, member_no, *sql_args(scope)],
    )


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


@within_scope
@st.cache_data(show_spinner=False, max_entries=32)
def unit_geometry(s: Stamp, level: str, scope: str = "") -> dict | None:
    """The map boundaries of a level's units within the scope, from the loader's mart:
    {"geojson": FeatureCollection whose feature ids are unit ids, "center": {lon, lat},
    "zoom": float} (center None when no unit has a boundary). None when the warehouse was
    published before the loader built the mart (a new load builds it)."""
    if not _published(s, "unit_geometry"):
        return None
    rows = _read(
        s,
        f"SELECT unit_id, geometry, min_lon, min_lat, max_lon, max_lat FROM ({_scoped('unit_geometry')}) "
        f"WHERE level = ? AND {IN_SCOPE} ORDER BY unit_id",
        [level, *sql_args(scope)],
    )
    features = [
        {"type": "Feature", "id": unit, "geometry": json.loads(geometry)}
        for unit, geometry in zip(rows["unit_id"], rows["geometry"], strict=True)
    ]
    center, zoom = (None, 1.0)
    if len(rows):
        bounds = (rows["min_lon"].min(), rows["min_lat"].min(), rows["max_lon"].max(), rows["max_lat"].max())
        center, zoom = fit_view(tuple(float(b) for b in bounds))
    return {"geojson": {"type": "FeatureCollection", "features": features}, "center": center, "zoom": zoom}


@within_scope
def member_identity(s: Stamp, member_no: int, scope: str = "") -> dict | None:
    """Who a member is, as the viewer may see it: name (masked unless allowed), gender,
    category, branch, grid, and ID number and phone in their masked forms only (the warehouse
    holds no other). None when the member's latest roster row (where they are now) is not in
    scope."""
    rows = _member_identity(s, member_no, scope)
    return None if rows.empty else _names_shown(rows).iloc[0].to_dict()


@st.cache_data(show_spinner=False, max_entries=64)
def _member_identity(s: Stamp, member_no: int, scope: str) -> pd.DataFrame:
    return _read(
        s,
        f"""SELECT m.name, m.gender, m.member_category, m.branch, m.grid_id, m.id_masked, m.phone_masked, m.as_of
            FROM (SELECT * FROM members WHERE member_no = ? ORDER BY as_of DESC LIMIT 1) m JOIN grids g USING (grid_id)
            WHERE {sql_in(GRID_PATH)}""",
        [member_no, *sql_args(scope)],
    )


def outside_geometry(s: Stamp) -> list[dict]:
    """For a viewer bound to a unit, the boundaries of the units beside it (the other units of
    its level under the same parent: other districts for a district) as anonymous features —
    no id, name or score — drawn grey on the map for orientation. None for city viewers."""
    v = viewer()
    if v.city or not _published(s, "unit_geometry"):
        return []
    return _outside_geometry(s, v.scope)


@st.cache_data(show_spinner=False, max_entries=16)
def _outside_geometry(s: Stamp, scope: str) -> list[dict]:
    level, _ = as_unit(scope)
    parent = scope.rsplit("/", 1)[0] if "/" in scope else ""
    rows = _read(
        s,
        "SELECT geometry FROM unit_geometry WHERE level = ? AND unit_id <> ? "
        "AND (? = '' OR starts_with(unit_id, ? || '/')) ORDER BY unit_id",
        [level, scope, parent, parent],
    )
    return [
        {"type": "Feature", "id": f"outside-{i}", "geometry": json.loads(g)} for i, g in enumerate(rows["geometry"])
    ]


@within_scope
def meeting_pack(s: Stamp, run: int, period: str, level: str, scope: str = "", scorecards: int = 30) -> pack.Pack:
    """The quarterly meeting pack of a level in scope (pipelines/report/pack.py): its ranking,
    lists, rectification list, scorecards, trend, boundaries and top members, with members'
    names as the viewer may see them and the viewer named as its maker."""
    v = viewer()
    return _meeting_pack(s, run, period, level, scope, scorecards, v.show_names, v.name)


@st.cache_data(show_spinner=False, max_entries=8)
def _meeting_pack(
    s: Stamp, run: int, period: str, level: str, scope: str, scorecards: int, show_names: bool, name: str
) -> pack.Pack:
    with connect_read(Path(s.db)) as con:
        return pack.build(
            con, period, level, scope, run=run, show_names=show_names, scorecards=scorecards, generated_by=name
        )


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
        "created_at",
        "password_changed_at",
        "last_login",
        "locked_until",
    ]
    return pd.DataFrame(rows, columns=columns)

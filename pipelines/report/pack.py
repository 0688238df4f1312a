"""The meeting pack's content: everything a quarterly evaluation meeting (季度考评) shows for one
period, level and scope, read from the published marts of one run — the ranking, the red and
black lists and yellow cards, the rectification list (整改清单), scorecards, the scope's trend,
the map's boundaries and the top members — with the run's record, so every number can be
traced to the configuration and data that made it.

The workbook (workbook.py) and the deck (deck.py) only lay this out; they decide nothing.
Scope and masking are the caller's: the dashboard passes the signed-in viewer's scope and
rights, the command line its `--scope` and `--clear-names`. Values reach SQL as parameters.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.access.masking import mask_name
from pipelines.access.scope import GRID_PATH, UNIT_PATH, as_unit, sql_args, sql_in
from pipelines.engine.explain import contributions
from pipelines.engine.methodology import Methodology, parse
from pipelines.numbers import number

LEVELS = ("grid", "community", "street", "district", "city")
BLACK_LIST = "黑榜"  # the list labels the engine writes (mart_unit_scores.sql)
RED_LIST = "红榜"
DEFAULT_SCORECARDS = 30
TOP_MEMBERS = 20


class PackError(ValueError):
    """A pack that cannot be made (no such run, period or level); the message says why."""


@dataclass(frozen=True)
class Pack:
    period: str
    previous: str | None  # the quarter before, in the same run (None for the first)
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

    @property
    def scope_name(self) -> str:
        return self.scope.replace("/", " · ") if self.scope else "全市"

    @property
    def lowest_grade(self) -> str:
        return self.methodology.config["grades"][-1]["name"]

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
        return f"运行 #{r['run_id']} · 方法 {r['methodology_version']} · 配置 {str(r['config_hash'])[:12]}"


_SCOPED_UNITS = f"""
    SELECT u.* EXCLUDE (run_id), p.composite AS prev_composite, p.grade AS prev_grade, {UNIT_PATH} AS path
    FROM unit_scores u LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id
    LEFT JOIN unit_scores p ON p.run_id = u.run_id AND p.level = u.level AND p.unit_id = u.unit_id AND p.period = ?
    WHERE u.run_id = ? AND u.period = ? AND u.level = ? AND {sql_in(UNIT_PATH)}"""

# The organisation answerable for a unit: a grid's branch (网格党支部), a community's committee
# (社区党委, the parent of its grids' branches); streets and districts have none in the
# organisation export and are named by the office that leads them.
_RESPONSIBLE = f"""
    WITH branches AS (
        SELECT b.grid_id, b.org_id, b.org_name, b.parent_org_id, {GRID_PATH} AS community_path
        FROM orgs b JOIN grids g USING (grid_id) WHERE b.org_type = '网格党支部'),
    by_grid AS (
        SELECT 'grid' AS level, grid_id AS unit_id, string_agg(org_name, '、' ORDER BY org_id) AS organisation
        FROM branches GROUP BY grid_id),
    by_community AS (
        SELECT 'community' AS level, b.community_path AS unit_id,
            string_agg(DISTINCT c.org_name, '、' ORDER BY c.org_name) AS organisation
        FROM branches b JOIN orgs c ON c.org_id = b.parent_org_id AND c.org_type = '社区党委'
        GROUP BY b.community_path)
    SELECT * FROM by_grid UNION ALL SELECT * FROM by_community"""


def listed(units: pd.DataFrame, name: str) -> pd.DataFrame:
    """The units on the red list (红榜, best first) or the black list (黑榜, worst first)."""
    rows = units[units["list"] == name]
    return rows.sort_values("composite_rank", ascending=name == RED_LIST, kind="stable")


def carded(units: pd.DataFrame) -> pd.Series:
    """Which units have a yellow card (黄牌) this quarter."""
    return units["yellow_card"].fillna(False).astype(bool)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return set(_frame(con, "SELECT table_name FROM information_schema.tables")["table_name"])


def _run(con: duckdb.DuckDBPyConnection, run: int | None) -> dict:
    rows = _frame(
        con,
        "SELECT run_id, computed_at, methodology_version, config_hash, config_text, data_batch, data_digest "
        "FROM runs WHERE run_id = coalesce(?, (SELECT max(run_id) FROM runs))",
        [run],
    )
    if rows.empty:
        raise PackError(
            f"run {run}: 没有这次计算 (no such run)" if run is not None else "尚未计算指数 (no results yet)"
        )
    record = rows.iloc[0].to_dict()
    record["loaded_at"], record["data_date"] = None, None
    tables = _tables(con)
    if "load_batches" in tables and record["data_batch"] is not None and record["data_batch"] == record["data_batch"]:
        loaded = _frame(con, "SELECT finished_at FROM load_batches WHERE batch_id = ?", [int(record["data_batch"])])
        record["loaded_at"] = None if loaded.empty else loaded["finished_at"].iloc[0]
    if "members" in tables:  # the roster snapshot the data stands at (数据日期)
        record["data_date"] = _frame(con, "SELECT max(as_of) AS d FROM members")["d"].iloc[0]
    return record


def _weakest(card: pd.DataFrame, how_many: int = 2) -> list[dict]:
    """A unit's `how_many` indicators that lose most points of its composite, from its
    scorecard: code, name, value, goalposts, score and points lost."""
    losing = card[card["lost"] > 1e-9].sort_values(["lost", "code"], ascending=[False, True], kind="stable")
    return losing.head(how_many)[["code", "name", "value", "lo", "hi", "score", "lost"]].to_dict("records")


def _rectification(
    con: duckdb.DuckDBPyConnection, m: Methodology, units: pd.DataFrame, values: dict[str, dict]
) -> pd.DataFrame:
    """Every unit in scope graded lowest (较差), on the black list or with a yellow card: why,
    its two weakest indicators by lost points against their goalposts, and who answers for it."""
    lowest = m.config["grades"][-1]["name"]
    chosen = units[(units["grade"] == lowest) | (units["list"] == BLACK_LIST) | carded(units)]
    columns = [
        "unit_id",
        "unit_name",
        "composite_rank",
        "composite",
        "grade",
        "list",
        "yellow_card",
        "reasons",
        "weakest",
        "organisation",
    ]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    level = chosen["level"].iloc[0]
    responsible = _frame(con, f"SELECT unit_id, organisation FROM ({_RESPONSIBLE}) WHERE level = ?", [level])
    out = chosen.merge(responsible, on="unit_id", how="left")
    if level in ("street", "district"):
        office = "党工委" if level == "street" else "委"
        out["organisation"] = out["unit_name"] + office
    out["reasons"] = [
        "、".join(
            r for r, hit in ((lowest, grade == lowest), (BLACK_LIST, band == BLACK_LIST), ("黄牌", bool(card))) if hit
        )
        for grade, band, card in zip(out["grade"], out["list"], carded(out), strict=True)
    ]
    out["weakest"] = [_weakest(scorecard(m, unit, values.get(unit["unit_id"], {}))) for unit in out.to_dict("records")]
    return (
        out[columns]
        .sort_values(["composite_rank", "unit_id"], na_position="last", kind="stable")
        .reset_index(drop=True)
    )


def scorecard(m: Methodology, unit: dict, values: dict, lang: str = "zh") -> pd.DataFrame:
    """One unit's indicators: index, code, name (in `lang`), raw value, goalposts, direction,
    0–100 score, weight within its index, points contributed to the composite and points still
    open — the engine's decomposition (pipelines.engine.explain) given the unit's published
    index scores (`unit`: fortress, vanguard, service) and its indicator values and scores
    (`values`: F1, F1_score, …)."""
    scores = {i["code"]: number(values.get(f"{i['code']}_score")) for i in m.indicators()}
    known = {k: number(unit.get(k)) for k in ("fortress", "vanguard", "service")}
    parts = {p["code"]: p for p in contributions(m.tree(), scores | known, "composite")}
    index_names = {i["code"]: i[f"name_{lang}"] for i in m.config["indices"]}
    return pd.DataFrame(
        [
            {
                "index": index_names[i["index"]],
                "code": i["code"],
                "name": i[f"name_{lang}"],
                "value": number(values.get(i["code"])),
                "lo": float(i["lo"]),
                "hi": float(i["hi"]),
                "direction": int(i["direction"]),
                "score": scores[i["code"]],
                "weight": parts.get(i["code"], {}).get("share_parent", 0.0),
                "contribution": parts.get(i["code"], {}).get("contribution", 0.0),
                "lost": parts.get(i["code"], {}).get("gain", 0.0),
            }
            for i in m.indicators()
        ]
    )


def _scorecards(
    m: Methodology, units: pd.DataFrame, values: dict[str, dict], limit: int
) -> list[tuple[dict, pd.DataFrame]]:
    return [
        (unit, scorecard(m, unit, values.get(unit["unit_id"], {})))
        for unit in units.head(max(0, limit)).to_dict("records")
    ]


def _indicator_values(
    con: duckdb.DuckDBPyConnection, run: int, period: str, level: str, units: pd.DataFrame
) -> dict[str, dict]:
    """The units' indicator values and scores as the run scored them, by unit id (read once for
    the rectification list and the scorecards)."""
    rows = _frame(
        con,
        "SELECT * EXCLUDE (run_id, period, level) FROM indicator_scores "
        "WHERE run_id = ? AND period = ? AND level = ? AND list_contains(?::VARCHAR[], unit_id)",
        [run, period, level, units["unit_id"].tolist()],
    )
    return rows.set_index("unit_id").to_dict("index")


def _members(con: duckdb.DuckDBPyConnection, run: int, period: str, scope: str, show_names: bool) -> pd.DataFrame:
    """The scope's top members of the quarter by vanguard score, names masked unless shown."""
    if "member_scores" not in _tables(con):
        return pd.DataFrame(columns=["name", "grid_id", "grid_name", "services", "hours", "score", "tier"])
    pkey = int(period[:4]) * 10 + int(period[-1])
    rows = _frame(
        con,
        f"""WITH chosen AS (
                SELECT m.member_no, r.grid_id, g.grid_name, m.services, m.hours, m.score, m.tier_no
                FROM member_scores m JOIN grid_registry r USING (grid_no) JOIN grids g USING (grid_id)
                WHERE m.run_id = ? AND m.pkey = ? AND {sql_in(GRID_PATH)}
                ORDER BY m.score DESC, m.member_no LIMIT ?)
            SELECT n.name, c.grid_id, c.grid_name, c.services, c.hours, c.score, t.tier
            FROM chosen c JOIN run_tiers t ON t.run_id = ? AND t.tier_no = c.tier_no
            LEFT JOIN (SELECT member_no, arg_max(name, as_of) AS name FROM members
                       WHERE member_no IN (SELECT member_no FROM chosen) GROUP BY member_no) n USING (member_no)
            ORDER BY c.score DESC, c.member_no""",
        [run, pkey, *sql_args(scope), TOP_MEMBERS, run],
    )
    return rows if show_names else rows.assign(name=rows["name"].map(mask_name))


def _geometry(con: duckdb.DuckDBPyConnection, level: str, scope: str) -> list[dict]:
    if "unit_geometry" not in _tables(con):
        return []
    rows = _frame(
        con,
        "SELECT u.unit_id, u.geometry FROM unit_geometry u "
        "LEFT JOIN grids g ON u.level = 'grid' AND g.grid_id = u.unit_id "
        f"WHERE u.level = ? AND {sql_in(UNIT_PATH)} ORDER BY u.unit_id",
        [level, *sql_args(scope)],
    )
    return [
        {"type": "Feature", "id": unit, "geometry": json.loads(g)}
        for unit, g in zip(rows["unit_id"], rows["geometry"], strict=True)
    ]


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
) -> Pack:
    """The pack for `period`, `level` and `scope` from the run `run` (default: the latest), on a
    read connection to the published warehouse and results (scores_db.connect_read)."""
    if level not in LEVELS:
        raise PackError(f"level {level}: 层级应为 {', '.join(LEVELS)}")
    record = _run(con, run)
    run_id = int(record["run_id"])
    m = parse(record.pop("config_text"), Path(f"run-{run_id}.toml"))
    quarters = _frame(con, "SELECT DISTINCT period FROM unit_scores WHERE run_id = ? ORDER BY period", [run_id])[
        "period"
    ].tolist()
    if period not in quarters:
        raise PackError(f"period {period}: 本次计算没有该季度 (quarters: {', '.join(quarters)})")
    at = quarters.index(period)
    units = _frame(
        con,
        f"SELECT * FROM ({_SCOPED_UNITS}) ORDER BY composite_rank NULLS LAST, unit_id",
        [quarters[at - 1] if at > 0 else None, run_id, period, level, *sql_args(scope)],
    )
    values = _indicator_values(con, run_id, period, level, units)
    scope_level, scope_id = as_unit(scope)
    history = _frame(
        con,
        "SELECT * EXCLUDE (run_id) FROM unit_scores WHERE run_id = ? AND level = ? AND unit_id = ? ORDER BY period",
        [run_id, scope_level, scope_id],
    )
    return Pack(
        period=period,
        previous=quarters[at - 1] if at > 0 else None,
        level=level,
        scope=scope,
        run=record,
        methodology=m,
        units=units,
        scope_history=history,
        rectification=_rectification(con, m, units, values),
        scorecards=_scorecards(m, units, values, scorecards),
        members=_members(con, run_id, period, scope, show_names),
        geometry=_geometry(con, level, scope),
        names_shown=show_names,
        generated_by=generated_by,
    )

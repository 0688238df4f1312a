"""What a candidate run would change against another run of the same period (the review page's
diff, docs/review.md): the units whose grade, composite rank or list (红榜/黑榜) differ, the runs
to choose from, and a run's grades and lists in summary when there is nothing to compare with.

Pure reads of the results (pbi.scores.duckdb with the warehouse attached): scope filtering as
every serving function does (a unit at or under `scope`; '' is the whole city)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.serve.query import frame, published
from pipelines.vocabulary import BLACK_LIST, LEVELS, RED_LIST

CHANGES = ("grade_changed", "rank_changed", "list_changed")


def diff(con: duckdb.DuckDBPyConnection, period: str, old_run: int, new_run: int, scope: str = "") -> pd.DataFrame:
    """The units of `period` within `scope` whose grade, composite rank or list differs between
    `old_run` and `new_run`: level, unit_id, unit_name, old_/new_ grade, rank, list and composite,
    and which of the three changed (a unit in one run only has NULLs on the other side and counts
    as changed). Levels in LEVELS order, then by the new rank."""
    return frame(con, "run_diff", period=period, old=int(old_run), new=int(new_run), scope=scope, levels=list(LEVELS))


def summary(changes: pd.DataFrame) -> pd.DataFrame:
    """Per level of a `diff` (LEVELS order, only levels with changes): units changed, and how many
    of them changed grade, rank and list."""
    if changes.empty:
        return pd.DataFrame(columns=["level", "units", *CHANGES])
    counts = changes.groupby("level", sort=False).agg(units=("unit_id", "size"), **{c: (c, "sum") for c in CHANGES})
    counts = counts.astype(int).reset_index()
    return counts.sort_values("level", key=lambda s: s.map(LEVELS.index)).reset_index(drop=True)


def outline(con: duckdb.DuckDBPyConnection, period: str, run: int, scope: str = "") -> pd.DataFrame:
    """A run's units of `period` within `scope` per level (LEVELS order): how many (`units`), how
    many in each grade (one column per grade, best first: ordered by the best composite graded so),
    and how many on the red list and the black list (RED_LIST, BLACK_LIST columns)."""
    rows = frame(
        con,
        "run_outline",
        run=int(run),
        period=period,
        scope=scope,
        levels=list(LEVELS),
        red=RED_LIST,
        black=BLACK_LIST,
    )
    grades = rows.groupby("grade", dropna=False)["best"].max().sort_values(ascending=False).index.tolist()
    wide = rows.pivot_table(index="level", columns="grade", values="units", aggfunc="sum", fill_value=0, sort=False)
    wide = wide.reindex(columns=[g for g in grades if g in wide.columns], fill_value=0)
    lists = rows.groupby("level", sort=False)[["units", "red", "black"]].sum()
    out = pd.concat([lists[["units"]], wide, lists[["red", "black"]]], axis=1).rename(
        columns={"red": RED_LIST, "black": BLACK_LIST}
    )
    out.columns.name = None
    out = out.reset_index().rename(columns={"index": "level"})
    out = out.sort_values("level", key=lambda s: s.map(LEVELS.index)).reset_index(drop=True)
    return out.astype({c: int for c in out.columns if c != "level"})


def candidates(con: duckdb.DuckDBPyConnection, period: str) -> pd.DataFrame:
    """Every run that computed `period`, newest first: run_id, computed_at (China time),
    methodology_version, config_hash, data_digest, and `adjustments`, how many adjustments the
    run applied over all its periods (0 for results computed before adjustments existed)."""
    runs = frame(con, "period_runs", period=period)
    if published(con, "run_adjustments"):
        counts = frame(con, "run_adjustment_counts")
        runs = runs.merge(counts, on="run_id", how="left")
    else:
        runs = runs.assign(adjustments=0)
    return runs.assign(adjustments=runs["adjustments"].fillna(0).astype(int))


def baseline(status: object, candidate: int | None) -> int | None:
    """The run a candidate is compared with: the period's official run (review.Status.official),
    else the run published before (a correction on notice: the publication it would replace);
    None when there is neither, or it is the candidate itself."""
    official = getattr(status, "official", None)
    if official is not None and official != candidate:
        return int(official)
    last = getattr(status, "published", None)
    if last is not None and last.run != candidate:
        return int(last.run)
    return None

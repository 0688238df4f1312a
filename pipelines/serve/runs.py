"""Which run a view reads, and its record.

Every reader asks `resolve` which run to show, in one place: the run named, else the period's
official run from the review register (published, or pinned while on notice; docs/review.md),
else — only when a draft is asked for — the latest computation. Without a period: the latest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import duckdb
import pandas as pd

from pipelines.serve.query import frame, published


def _latest(con: duckdb.DuckDBPyConnection) -> int | None:
    latest = frame(con, "latest_run")["run_id"].iloc[0]
    return None if pd.isna(latest) else int(latest)


def _status(con: duckdb.DuckDBPyConnection, period: str):  # -> review.Status
    # Imported here: the register (and users, audit) is needed only once a period is asked for.
    from pipelines.evaluation import review

    db = review.warehouse_of(con)
    return review.state(db, period) if db is not None else review.Status(period)


def resolve(
    con: duckdb.DuckDBPyConnection, run: int | None = None, period: str | None = None, draft: bool = False
) -> int | None:
    """The run to read: `run` if it was computed, else None. With no run named and a `period`:
    the period's official run; a period without one gives None, or the latest run if `draft`
    (a draft, to be labelled 草稿). With neither: the latest run (None before any computation)."""
    return choose(con, run, period, draft).run


@dataclasses.dataclass(frozen=True)
class Choice:
    """The run a view reads and what it is: `draft` when it is not the period's official run
    (the latest run standing in, or a run named that is not the official one); `status` is the
    period's review state (review.Status; None without a period)."""

    run: int | None
    draft: bool
    status: object = None  # review.Status

    @property
    def state(self) -> str | None:
        """草稿, 待审核, 公示中 or 已发布 (None without a period)."""
        return None if self.status is None else self.status.state

    @property
    def notice(self) -> tuple[dt.date, dt.date] | None:
        """The notice's first and last day while the official run is on notice, else None."""
        s = self.status
        if self.draft or s is None or s.state != "公示中":
            return None
        return s.notice_start, s.notice_end


def choose(
    con: duckdb.DuckDBPyConnection, run: int | None = None, period: str | None = None, draft: bool = False
) -> Choice:
    """`resolve`, with whether the run is a draft and the period's review state, for callers that
    must label it (exports, the meeting pack). A run named is a draft unless it is the period's
    official run; without a period every run counts as a draft (no period, no official run)."""
    status = _status(con, period) if period else None
    official = None if status is None else status.official
    if run is not None:
        named = run if not frame(con, "run", run=run).empty else None
        return Choice(named, named is None or named != official, status)
    if period is None:
        return Choice(_latest(con), True, None)
    if official is not None:
        return Choice(int(official), False, status)
    return Choice(_latest(con) if draft else None, True, status)


def record(con: duckdb.DuckDBPyConnection, run: int) -> dict | None:
    """A run's record: id, time, methodology version, config hash and text, data batch, digest
    and file hashes (None for no such run)."""
    rows = frame(con, "run", run=run)
    return None if rows.empty else rows.iloc[0].to_dict()


def files(con: duckdb.DuckDBPyConnection, run: dict) -> pd.DataFrame:
    """The content hash of every file a run read, with its name and kind where the warehouse
    still knows it."""
    hashes = json.loads(run["data_files"] or "[]")
    names = frame(con, "run_files", hashes=hashes)
    return pd.DataFrame({"content_hash": hashes}).merge(names, on="content_hash", how="left")


def loaded_at(con: duckdb.DuckDBPyConnection, run: dict) -> object:
    """When the run's data batch was published (None if unknown)."""
    batch = run["data_batch"]
    if not published(con, "load_batches") or batch is None or batch != batch:  # NaN: no batch
        return None
    rows = frame(con, "batch_finished", batch=int(batch))
    return None if rows.empty else rows["finished_at"].iloc[0]


def data_date(con: duckdb.DuckDBPyConnection) -> object:
    """The roster snapshot the data stands at (数据日期; None before members are loaded)."""
    return frame(con, "data_date")["d"].iloc[0] if published(con, "members") else None


def draft_note(choice: Choice, period: str | None) -> str | None:
    """What a command line says on stderr when it reads a run that is not official (None when
    it reads the period's official run)."""
    if not choice.draft or choice.run is None:
        return None
    if period is None:
        return (
            f"注意：未指定期间，使用运行 #{choice.run}，其中各期间不一定都是正式结果 "
            f"(note: no --period: run #{choice.run} is used; not every period in it need be official)"
        )
    if choice.status is not None and choice.status.official is not None:
        return (
            f"草稿：运行 #{choice.run} 不是 {period} 的正式结果（正式结果为运行 #{choice.status.official}） "
            f"(draft: run #{choice.run} is not the official result of {period}, which is run #{choice.status.official})"
        )
    state = choice.state or "草稿"
    return (
        f"草稿：{period} 尚无正式结果（审核状态：{state}），使用运行 #{choice.run} 的计算结果 "
        f"(draft: {period} has no official result yet; run #{choice.run} is used)"
    )

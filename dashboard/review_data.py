"""The review page's data (审核与公示): the periods' review states, the runs of a period, the diff of
a candidate run, the objections, and the review's actions — for administrators and approvers only.

Reads follow dashboard/data.py: cached on the published files' Stamp (which holds the register's
modification time, so an action shows at the next rerun), results only through the serving layer
(pipelines/serve/run_diff.py), the scope narrowed to the viewer's. Every change goes through the
register's API (pipelines/evaluation: review, objections), which checks the state, the rights and
the dates, audits, and refuses with ReviewError; here each call is first checked against the
viewer's rights (OutOfScope for anyone else, which the app shows refused and audits)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data import Stamp, _narrowed, _read, _requires, official_periods, run_periods
from dashboard.data import latest_run as _latest_run
from dashboard.viewer import OutOfScope
from dashboard.viewer import current as viewer
from pipelines.evaluation import objections, review
from pipelines.serve import run_diff

# The page is for users who administer or approve; each action asks for its own right too.
reviewer = _requires(lambda v: v.admin or v.approve)
admin_only = _requires(lambda v: v.admin)
approver_only = _requires(lambda v: v.approve)

# The actions in the order the page offers them, and the right each needs (docs/review.md).
ACTIONS = ("submit", "approve", "reject", "withdraw", "publish", "correct")
NEEDS_APPROVE = frozenset({"approve", "reject"})


def _client() -> str | None:
    from dashboard.auth import _client as address  # the browser's address, for the audit row

    return address()


# --- reads ---------------------------------------------------------------------------------------


@reviewer
def statuses(s: Stamp) -> list[review.Status]:
    """Every period's review state (periods with events and the latest run's), quarters then years."""
    return _statuses(s)


@st.cache_data(show_spinner=False, max_entries=16)
def _statuses(s: Stamp) -> list[review.Status]:
    return review.statuses(Path(s.db)) if s.computed else []


@reviewer
def status(s: Stamp, period: str) -> review.Status:
    """One period's review state (草稿 when nothing happened to it)."""
    return next((x for x in _statuses(s) if x.period == period), review.Status(period))


@reviewer
def known_periods(s: Stamp) -> pd.DataFrame:
    """run_periods rows (period, kind, complete) of the latest run and of every official run, for
    labelling periods as the rest of the dashboard does."""
    latest = _latest_run(s)
    frames = [official_periods(s)]
    if latest is not None:
        frames.insert(0, run_periods(s, int(latest["run_id"])))
    rows = pd.concat([f[["period", "kind", "complete"]] for f in frames], ignore_index=True)
    return rows.drop_duplicates("period").reset_index(drop=True)


@reviewer
def open_counts(s: Stamp) -> dict[str, int]:
    """Open objections per period, of units within the viewer's scope."""
    return _open_counts(s, _narrowed(""))


@st.cache_data(show_spinner=False, max_entries=16)
def _open_counts(s: Stamp, scope: str) -> dict[str, int]:
    if not scope:
        return objections.open_counts(Path(s.db))
    rows = objections.listing(Path(s.db), open_only=True, scope=scope)
    return rows.groupby("period").size().to_dict() if not rows.empty else {}


@reviewer
def candidates(s: Stamp, period: str) -> pd.DataFrame:
    """Every run that computed the period, newest first, with its record and adjustments applied."""
    return _read(s, run_diff.candidates, period)


@reviewer
def diff(s: Stamp, period: str, old_run: int, new_run: int) -> pd.DataFrame:
    """The units in the viewer's scope whose grade, composite rank or list changes from `old_run`
    to `new_run` (serve.run_diff.diff)."""
    return _read(s, run_diff.diff, period, int(old_run), int(new_run), _narrowed(""))


@reviewer
def outline(s: Stamp, period: str, run: int) -> pd.DataFrame:
    """A run's units in the viewer's scope per level: grades and lists counted (serve.run_diff.outline)."""
    return _read(s, run_diff.outline, period, int(run), _narrowed(""))


@reviewer
def objection_list(s: Stamp, period: str) -> pd.DataFrame:
    """The period's objections against units in the viewer's scope, oldest first, resolved or not."""
    return _objections(s, period, _narrowed(""))


@st.cache_data(show_spinner=False, max_entries=16)
def _objections(s: Stamp, period: str, scope: str) -> pd.DataFrame:
    return objections.listing(Path(s.db), period=period, scope=scope)


# Pure functions of the serving layer the page applies to what it read.
baseline = run_diff.baseline  # the run a candidate is compared with
change_counts = run_diff.summary  # a diff's changed units counted per level


def offered(state: review.Status) -> list[str]:
    """The actions the period's state allows (review.FROM) that the viewer holds the right for:
    approve and reject need `approve`, the others `admin`. Whether the register then agrees (the
    same user, the notice's end, open objections) is its own to say."""
    v = viewer()
    held = [a for a in ACTIONS if (v.approve if a in NEEDS_APPROVE else v.admin)]
    return [a for a in held if state.state in review.FROM[a]]


# --- actions: through the register, as the viewer -------------------------------------------------


@admin_only
def submit(s: Stamp, period: str, run: int | None) -> review.Status:
    return review.submit(Path(s.db), period, by=viewer().name, run=run, client=_client())


@approver_only
def approve(s: Stamp, period: str, notice_days: int, notice_start: dt.date | None) -> review.Status:
    return review.approve(
        Path(s.db), period, by=viewer().name, notice_days=notice_days, notice_start=notice_start, client=_client()
    )


@approver_only
def reject(s: Stamp, period: str, reason: str) -> review.Status:
    return review.reject(Path(s.db), period, by=viewer().name, reason=reason, client=_client())


@admin_only
def withdraw(s: Stamp, period: str, reason: str) -> review.Status:
    return review.withdraw(Path(s.db), period, by=viewer().name, reason=reason, client=_client())


@admin_only
def publish(s: Stamp, period: str) -> review.Status:
    return review.publish(Path(s.db), period, by=viewer().name, client=_client())


@admin_only
def correct(
    s: Stamp, period: str, run: int, reason: str, notice_days: int, notice_start: dt.date | None
) -> review.Status:
    return review.correct(
        Path(s.db),
        period,
        run=run,
        by=viewer().name,
        reason=reason,
        notice_days=notice_days,
        notice_start=notice_start,
        client=_client(),
    )


@admin_only
def resolve(s: Stamp, objection_id: int, accept: bool, note: str) -> None:
    """Resolve an objection against a unit in the viewer's scope (OutOfScope for any other)."""
    scope = _narrowed("")
    mine = objections.listing(Path(s.db), scope=scope)
    if int(objection_id) not in set(mine["objection_id"].astype(int)):
        raise OutOfScope(f"objection {objection_id}")
    objections.resolve(Path(s.db), int(objection_id), by=viewer().name, accept=accept, note=note, client=_client())

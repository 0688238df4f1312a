"""The follow-up of a period for the dashboard: objections (异议) filed during public notice and
the rectification items (整改事项) tracked after publication, read from and written to the
evaluation register (pipelines/evaluation: objections.py, rectification.py), narrowed to the
signed-in viewer as dashboard/data.py narrows the results.

- Reads are cached on the published files (data.Stamp, which holds the register's modification
  time: a change shows at the next rerun), the viewer's scope and, for items, the register's
  day (register.now(): an item goes overdue when the day turns, not when the file changes). A
  cached function reads only its arguments, never the viewer.
- Every change goes through the register's API as the viewer, which checks the rights and the
  scope and audits; its refusal (ReviewError, in Chinese with the English in brackets) is for
  the page to show.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data import Stamp, unit_path
from dashboard.viewer import OutOfScope
from dashboard.viewer import current as viewer
from pipelines.evaluation import objections, rectification, register
from pipelines.evaluation.workflow import ReviewError

__all__ = [
    "ReviewError",
    "confirm_item",
    "file_objection",
    "item_evidence",
    "my_objections",
    "overdue_items",
    "rectification_items",
    "update_item",
]


def _in_scope(s: Stamp, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows whose unit the viewer sees (the register narrows by scope already; each unit is
    checked here again, as data.py does for adjustments)."""
    v = viewer()
    keep = [v.sees(unit_path(s, lv, u)) for lv, u in zip(rows["level"], rows["unit_id"], strict=True)]
    return rows[pd.Series(keep, index=rows.index, dtype=bool)].reset_index(drop=True)


# --- objections ------------------------------------------------------------------------------


def my_objections(s: Stamp) -> pd.DataFrame:
    """The viewer's own objections on units within their scope, newest first, with the answer
    (objections.LISTING: decision, note, resolved_by, resolved_at; decision None while open)."""
    v = viewer()
    return _in_scope(s, _objections(s, v.scope, v.name))


@st.cache_data(show_spinner=False, max_entries=64)
def _objections(s: Stamp, scope: str, name: str) -> pd.DataFrame:
    if s.register_mtime is None:
        return pd.DataFrame(columns=list(objections.LISTING))
    rows = objections.listing(Path(s.db), scope=scope, filed_by=name)
    return rows.sort_values("objection_id", ascending=False).reset_index(drop=True)


def objection_state(decision: object) -> str:
    """The register's word for an objection: 待处理 while open, else 已采纳 or 未采纳."""
    return objections.DECISIONS[decision] if isinstance(decision, str) else objections.OPEN


def file_objection(
    s: Stamp,
    *,
    period: str,
    level: str,
    unit_id: str,
    text: str,
    file_name: str | None = None,
    file_bytes: bytes | None = None,
) -> int:
    """File an objection against a unit as the viewer; the register refuses (ReviewError) a unit
    outside the viewer's scope, a period not on notice, a blank text or a file over 20 MB."""
    return objections.file(
        Path(s.db),
        period=period,
        level=level,
        unit_id=unit_id,
        by=viewer().name,
        text_=text,
        data=file_bytes,
        name=file_name if file_bytes is not None else None,
    )


# --- rectification items ----------------------------------------------------------------------


def _today() -> dt.date:
    return register.now().date()


def rectification_items(s: Stamp, period: str | None = None, status: str | None = None) -> pd.DataFrame:
    """The rectification items of units within the viewer's scope (of a period, a status), with
    their status today (rectification.LISTING), oldest first."""
    return _in_scope(s, _items(s, viewer().scope, period, status, _today()))


def overdue_items(s: Stamp) -> pd.DataFrame:
    """The items in the viewer's scope past their deadline and unfinished (逾期), with how many
    days overdue (`days`), the most overdue first."""
    today = _today()
    rows = _in_scope(s, _items(s, viewer().scope, None, rectification.OVERDUE, today))
    days = [(today - pd.Timestamp(d).date()).days for d in rows["deadline"]]
    return rows.assign(days=days).sort_values(["days", "item_id"], ascending=[False, True]).reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=64)
def _items(s: Stamp, scope: str, period: str | None, status: str | None, today: dt.date) -> pd.DataFrame:
    if s.register_mtime is None:
        return pd.DataFrame(columns=list(rectification.LISTING))
    at = dt.datetime.combine(today, dt.time())  # the status depends on the day only
    return rectification.listing(Path(s.db), period=period, status=status, scope=scope, at=at)


def update_item(
    s: Stamp,
    item_id: int,
    *,
    measures: str | None = None,
    status: str | None = None,
    evidence_name: str | None = None,
    evidence_bytes: bytes | None = None,
) -> dict:
    """Report on an item as the viewer (rectification.update: the register checks the scope and
    refuses a confirmed item); returns the item as now listed."""
    return rectification.update(
        Path(s.db),
        int(item_id),
        by=viewer().name,
        measures=measures,
        status=status,
        evidence_bytes=evidence_bytes,
        evidence_name=evidence_name if evidence_bytes is not None else None,
    )


def confirm_item(s: Stamp, item_id: int) -> dict:
    """Confirm an item reported 已完成 (销号) as the viewer; the register refuses a non-admin."""
    return rectification.confirm(Path(s.db), int(item_id), by=viewer().name)


def item_evidence(s: Stamp, item_id: int) -> Callable[[], bytes]:
    """The latest evidence of an item within the viewer's scope, as a function a download button
    calls on the click (it reads no session state: Streamlit runs it apart); OutOfScope for an
    item the viewer is not shown."""
    if int(item_id) not in set(rectification_items(s)["item_id"].astype(int)):
        raise OutOfScope(f"rectification item {item_id}")
    return functools.partial(_evidence_bytes, Path(s.db), int(item_id), viewer().name)


def _evidence_bytes(db: Path, item_id: int, name: str) -> bytes:
    return rectification.evidence(db, item_id, by=name)[1]

"""What the review, objections and rectification modules share: their refusal (ReviewError),
the checks they borrow from adjustments.py (texts, users, units, files) turned into it, the
results file read-only, and their audit rows."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.access import audit, users
from pipelines.evaluation import adjustments

MAX_TEXT = 2000  # an objection or the measures taken: a paragraph or two, not a report


class ReviewError(ValueError):
    """A step of the evaluation workflow refused: the message says why (Chinese, English in brackets)."""


@contextlib.contextmanager
def checked() -> Iterator[None]:
    """The checks borrowed from adjustments.py refuse as ReviewError here."""
    try:
        yield
    except adjustments.AdjustmentError as e:
        raise ReviewError(str(e)) from e


def user(name: str, *, admin: bool = False, approve: bool = False) -> users.User:
    """The named user of the users file, holding the right asked for (admin or approve)."""
    with checked():
        return adjustments._user(name, admin=admin, approve=approve)


def text(value: str | None, what: str, what_en: str, limit: int = MAX_TEXT, lines: bool = False) -> str:
    """A reason, note or text: trimmed, not blank, within `limit`, no control characters (but
    line breaks where `lines`: an objection, a note, measures)."""
    with checked():
        return adjustments._text(value, what, what_en, limit, lines)


def unit(db: Path, level: str, unit_id: str) -> tuple[str, str, str]:
    """(unit_id, unit_name, unit_path) of a unit of the warehouse, written as in score exports."""
    with checked():
        adjustments._level(level)
        with adjustments._warehouse(db) as con:
            return adjustments._unit(con, level, unit_id)


def attachment(path: Path | None, data: bytes | None, name: str | None) -> tuple[str, bytes] | None:
    """(name, content) of a file given as a path or as bytes with a name; at most 20 MB."""
    with checked():
        return adjustments._evidence(path, data, name)


@contextlib.contextmanager
def results(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse and its results (pbi.scores.duckdb), read-only."""
    from pipelines.engine.scores_db import connect_read, scores_path

    if not Path(db).exists():
        raise ReviewError(f"{db}: 数据库不存在，请先加载数据 (no such database: load data first)")
    if not scores_path(Path(db)).exists():
        raise ReviewError(f"{db}: 尚未计算指数，请先运行 compute (no results yet: run compute first)")
    con = connect_read(Path(db))
    try:
        yield con
    finally:
        con.close()


def record(
    who: users.User,
    event: str,
    *,
    subject: str,
    what: str,
    scope: str = "",
    client: str | None = None,
    **detail: object,
) -> None:
    """One audit row: the user as actor, the operating-system account in its detail."""
    from pipelines.access.cli import actor  # the operating-system account

    clean = {k: v for k, v in detail.items() if v is not None}
    audit.record(
        who.name, event, subject=subject, what=what, scope=scope, rows=1, detail={"os": actor(), **clean}, client=client
    )

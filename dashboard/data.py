"""The dashboard's one way to the data: cached, read-only queries over the published marts.

Each query opens a short read-only connection (the loader and the engine publish by replacing
files, so nothing may hold a connection open), reads its result at once and closes. Results
are cached on the published files' modification times: a new load or computation shows up at
the next rerun, with no restart. Pages call these functions; they hold no SQL of their own.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines.engine.scores_db import connect_read, scores_path

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


@st.cache_data(show_spinner=False, max_entries=64)
def unit_scores(s: Stamp, run: int, period: str, level: str) -> pd.DataFrame:
    """Every unit of a level in a quarter, ranked (unranked units last)."""
    return _read(
        s,
        "SELECT * EXCLUDE (run_id) FROM unit_scores WHERE run_id = ? AND period = ? AND level = ? "
        "ORDER BY composite_rank NULLS LAST, unit_id",
        [run, period, level],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def record_counts(s: Stamp, run: int, period: str) -> dict[str, int]:
    """Grids, counted members, services and demands of a quarter (the whole city). The quarter
    is matched by its key and its date range, not by a label built for every row."""
    year, quarter = int(period[:4]), int(period[-1])
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    row = _read(
        s,
        """SELECT
            (SELECT count(*) FROM grids) AS grids,
            (SELECT count(*) FROM member_scores WHERE run_id = ? AND pkey = ?) AS members,
            (SELECT count(*) FROM services WHERE service_date >= ? AND service_date < ?) AS services,
            (SELECT count(*) FROM demands WHERE reported_at >= ? AND reported_at < ?) AS demands""",
        [run, year * 10 + quarter, start, end, start, end],
    ).iloc[0]
    return {k: int(v) for k, v in row.items()}


@st.cache_data(show_spinner=False, max_entries=16)
def quarantined(s: Stamp) -> int:
    """Rows of the loaded exports held in quarantine (not in any index)."""
    if not s.loaded:
        return 0
    return int(_read(s, "SELECT count(*) AS n FROM quarantine")["n"].iloc[0])


@st.cache_data(show_spinner=False, max_entries=8)
def load_ledger(s: Stamp) -> pd.DataFrame:
    """Every file of every load batch: rows read, loaded, quarantined, unchanged."""
    return _read(
        s,
        "SELECT batch_id, file_name, kind, rows_read, loaded, quarantined, unchanged, status, loaded_at "
        "FROM load_ledger ORDER BY batch_id DESC, file_id",
    )


@st.cache_data(show_spinner=False, max_entries=8)
def quarantine_rows(s: Stamp) -> pd.DataFrame:
    """Every quarantined row as a user finds it: file, row, kind, column, value (ID numbers
    masked by the loader), reason."""
    return _read(
        s,
        "SELECT f.file_name AS file, q.row, q.kind, q.header AS column, q.value, q.reason, q.rule "
        "FROM quarantine q JOIN load_files f USING (file_id) ORDER BY f.file_name, q.row",
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

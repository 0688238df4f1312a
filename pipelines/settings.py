"""Every setting the product reads from its environment, in one place.

No other module reads a `PBI_*` variable (tests/settings/test_settings.py fails when one does,
or when one is missing from the README's table). Each setting is read when asked for, not at
import, so a test or a process that changes the environment sees its own value. Relative
paths are taken from the repository root, never from the working directory, so the CLI, the
Makefile and the dashboard name the same files wherever they are started from.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    meaning: str

    def raw(self) -> str:
        """The variable's value, or its default where it is unset or empty."""
        return os.environ.get(self.name) or self.default

    def path(self) -> Path:
        path = Path(self.raw())
        return path if path.is_absolute() else ROOT / path


DB = Setting("PBI_DB", "data/warehouse/pbi.duckdb", "the published warehouse (results and registers beside it)")
USERS = Setting("PBI_USERS", "data/users.json", "dashboard users (mode 0600, outside git)")
AUDIT = Setting("PBI_AUDIT", "data/audit/audit.duckdb", "the hash-chained audit log")
AUDIT_KEY_FILE = Setting(
    "PBI_AUDIT_KEY_FILE",
    "",
    "key of the audit log's HMAC chain, its recorded heads beside it (default `audit-key` beside the users file)",
)
SECRET_KEY_FILE = Setting(
    "PBI_SECRET_KEY_FILE", "data/secrets/member-key", "key of the ID-number hash (created on first use; back it up)"
)
CONTRACT_EXTRA = Setting("PBI_CONTRACT_EXTRA", "data/config/contract-extra.toml", "your header aliases and code values")
RAW = Setting("PBI_RAW", "data/raw", "the raw exports folder the 原始文件 page lists")
LOAD_MEMORY = Setting(
    "PBI_LOAD_MEMORY", "1500MB", "DuckDB memory limit during a load, at least 100MB (it spills beyond)"
)
LOAD_PROFILE = Setting("PBI_LOAD_PROFILE", "", "`1`: the loader prints the time of every step")
LOAD_EXPLAIN = Setting(
    "PBI_LOAD_EXPLAIN", "", "`FILE.sql:KIND`: the loader writes that statement's query profile to the temp folder"
)
SESSION_MINUTES = Setting("PBI_SESSION_MINUTES", "30", "minutes of inactivity after which a dashboard session ends")
BIGSCREEN_HOURS = Setting(
    "PBI_BIGSCREEN_HOURS", "8", "hours after sign-in that a big screen keeps itself signed in while it turns"
)

ALL: tuple[Setting, ...] = (
    DB,
    USERS,
    AUDIT,
    AUDIT_KEY_FILE,
    SECRET_KEY_FILE,
    CONTRACT_EXTRA,
    RAW,
    LOAD_MEMORY,
    LOAD_PROFILE,
    LOAD_EXPLAIN,
    SESSION_MINUTES,
    BIGSCREEN_HOURS,
)


# What other modules call: a path or a value, read when called (each is its setting's reader).
db_path = DB.path  # the published warehouse
users_path = USERS.path
audit_path = AUDIT.path
secret_key_path = SECRET_KEY_FILE.path
contract_extra_path = CONTRACT_EXTRA.path
raw_dir = RAW.path
load_explain = LOAD_EXPLAIN.raw  # `FILE.sql:KIND` to profile, or "" (nothing)


def audit_key_path() -> Path:
    """The audit chain's key: PBI_AUDIT_KEY_FILE, else `audit-key` beside the users file (outside the log's folder)."""
    return AUDIT_KEY_FILE.path() if AUDIT_KEY_FILE.raw() else users_path().parent / "audit-key"


class SettingError(ValueError):
    """A variable's value the product cannot use; the message names the variable."""


# DuckDB's memory units (KB = 1000 bytes, KiB = 1024), matched whatever their case.
MEMORY_UNITS = {u.lower(): (u, f) for u, f in (
    ("KB", 10**3), ("MB", 10**6), ("GB", 10**9), ("TB", 10**12),
    ("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40),
)}  # fmt: skip
MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]i?B)", re.IGNORECASE)
LEAST_LOAD_MEMORY = 100 * 10**6  # below this a city's load cannot even stage its largest file


def load_memory() -> str:
    """PBI_LOAD_MEMORY as DuckDB reads it (e.g. `1500MB`), checked: a number and a unit, at least
    100MB. The value goes to DuckDB as a parameter, never into SQL text."""
    value = LOAD_MEMORY.raw().strip()
    match = MEMORY.fullmatch(value)
    if not match:
        raise SettingError(
            f"{LOAD_MEMORY.name}={value!r}: 应为数字加单位，如 1500MB、2GB、4GiB "
            "(expected a number and a unit: KB, MB, GB, TB, KiB, MiB, GiB or TiB)"
        )
    unit, factor = MEMORY_UNITS[match[2].lower()]
    if float(match[1]) * factor < LEAST_LOAD_MEMORY:
        raise SettingError(f"{LOAD_MEMORY.name}={value!r}: 至少为 100MB (at least 100MB)")
    return f"{match[1]}{unit}"


def load_profile() -> bool:
    return LOAD_PROFILE.raw() not in ("", "0")


def _positive(setting: Setting) -> float:
    """A setting that must be a number > 0 (a time), checked: a clear message, not a traceback."""
    try:
        value = float(setting.raw())
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise SettingError(f"{setting.name}={setting.raw()!r}: 应为大于 0 的数字 (expected a number > 0)")
    return value


def session_timeout() -> dt.timedelta:
    return dt.timedelta(minutes=_positive(SESSION_MINUTES))


def bigscreen_limit() -> dt.timedelta:
    return dt.timedelta(hours=_positive(BIGSCREEN_HOURS))

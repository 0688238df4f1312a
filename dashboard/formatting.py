"""Numbers, sizes and dates for Chinese readers (and English ones)."""

from __future__ import annotations

import datetime as dt

from pipelines.numbers import date_time_zh, date_zh, indicator_value, rank_change, rank_range, score

__all__ = ["count", "date", "date_time", "file_size", "indicator_value", "rank_change", "rank_range", "score", "share"]


def file_size(n_bytes: int, lang: str) -> str:
    units = ["B", "KB", "MB", "GB"]
    size = float(n_bytes)
    for unit in units:
        if size < 1024 or unit == units[-1]:
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def date_time(value: dt.datetime, lang: str) -> str:
    """2025年3月5日 14:30 in Chinese; 2025-03-05 14:30 in English."""
    return date_time_zh(value) if lang == "zh" else f"{value:%Y-%m-%d %H:%M}"


def date(value: dt.date, lang: str) -> str:
    """2025年3月5日 in Chinese; 2025-03-05 in English; a dash where there is none."""
    if value is None or value != value:
        return "—"
    return date_zh(value) if lang == "zh" else f"{value:%Y-%m-%d}"


def count(n: int, lang: str) -> str:
    """Counts for Chinese readers in 万 from ten thousand up (191.2万); English with commas."""
    if lang == "zh" and abs(n) >= 10_000:
        return f"{n / 10_000:,.1f}万"
    return f"{n:,}"


def share(x: float) -> str:
    return f"{x:.1%}"

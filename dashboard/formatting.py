"""Numbers, sizes and dates for Chinese readers (and English ones)."""

from __future__ import annotations

import datetime as dt


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
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value:%Y-%m-%d %H:%M}"


def date(value: dt.date, lang: str) -> str:
    """2025年3月5日 in Chinese; 2025-03-05 in English; a dash where there is none."""
    if value is None or value != value:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日" if lang == "zh" else f"{value:%Y-%m-%d}"


def count(n: int, lang: str) -> str:
    """Counts for Chinese readers in 万 from ten thousand up (191.2万); English with commas."""
    if lang == "zh" and abs(n) >= 10_000:
        return f"{n / 10_000:,.1f}万"
    return f"{n:,}"


def score(x: float | None) -> str:
    """An index score to one decimal; a dash where it is missing (insufficient data)."""
    return "—" if x is None or x != x else f"{x:.1f}"


def rank_change(change: float | None) -> str:
    """↑3 (rose three places), ↓2, = (held); a dash where there is no previous rank."""
    if change is None or change != change:
        return "—"
    change = int(change)
    return f"↑{change}" if change > 0 else f"↓{-change}" if change < 0 else "="


def rank_range(lo: float | None, hi: float | None) -> str:
    """The rank interval as 3–7 (or 4 when the draws never move it)."""
    if lo is None or lo != lo:
        return "—"
    return f"{int(lo)}" if lo == hi else f"{int(lo)}–{int(hi)}"


def indicator_value(x: float | None, lo: float, hi: float) -> str:
    """A raw indicator value as its goalposts read: a share (goalposts within 0–1) as a
    percentage, anything else to two decimals."""
    if x is None or x != x:
        return "—"
    if 0 <= lo < hi <= 1:
        return f"{x:.1%}"
    return f"{x:,.2f}"


def share(x: float) -> str:
    return f"{x:.1%}"

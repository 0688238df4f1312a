"""Number and date forms shared by the dashboard and the meeting pack's documents, so a score,
a rank change, an indicator value or a date reads the same on screen, in Excel and on a slide."""

from __future__ import annotations


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


def number(x: object) -> float | None:
    """A value as a float, None where it is missing (None or NaN)."""
    return None if x is None or x != x else float(x)


def date_zh(value: object) -> str:
    """A date as Chinese documents write it: 2026年11月22日; a dash where there is none."""
    if value is None or value != value:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日"


def date_time_zh(value: object) -> str:
    """2026年11月22日 14:30; a dash where there is none."""
    if value is None or value != value:
        return "—"
    return f"{date_zh(value)} {value:%H:%M}"

"""Days of the 8 generated quarters, seasonality, and date formats as users have them.

Dates are held as day indices (0 = 2024-01-01) and formatted by table lookup, which keeps
formatting millions of records vectorised.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

START = dt.date(2024, 1, 1)
END = dt.date(2025, 12, 31)
DAYS = np.array([START + dt.timedelta(days=i) for i in range((END - START).days + 1)])
N_DAYS = len(DAYS)
QUARTER_OF_DAY = np.array([(d.year - 2024) * 4 + (d.month - 1) // 3 for d in DAYS])
HALF_OF_DAY = QUARTER_OF_DAY // 2
# When the exports were taken: demands still open then are unresolved in the data.
EXPORT_DATE = dt.date(2026, 1, 5)

SPRING_FESTIVAL = [dt.date(2024, 2, 10), dt.date(2025, 1, 29)]
LEI_FENG_DAY = (3, 5)  # 学雷锋日
JULY_FIRST = (7, 1)  # 七一, the Party's anniversary


def _days_from(anchor: dt.date) -> np.ndarray:
    return np.array([(d - anchor).days for d in DAYS])


def service_day_weights() -> np.ndarray:
    """Relative volume of member service per day: peaks around 学雷锋日 and 七一, a
    trough over the Spring Festival holiday, quieter weekends."""
    w = np.ones(N_DAYS)
    for year in (2024, 2025):
        w += 2.5 * np.exp(-((_days_from(dt.date(year, *LEI_FENG_DAY)) / 5.0) ** 2))
        w += 1.5 * np.exp(-(((_days_from(dt.date(year, *JULY_FIRST)) + 5) / 8.0) ** 2))
    for sf in SPRING_FESTIVAL:
        offset = _days_from(sf)
        w[(offset >= -4) & (offset <= 7)] *= 0.25
    weekday = np.array([d.weekday() for d in DAYS])
    w[weekday >= 5] *= 0.8
    return w


def demand_day_weights() -> np.ndarray:
    """Residents report less over the Spring Festival; otherwise flat."""
    w = np.ones(N_DAYS)
    for sf in SPRING_FESTIVAL:
        offset = _days_from(sf)
        w[(offset >= -3) & (offset <= 6)] *= 0.4
    return w


def sample_days(rng: np.random.Generator, quarters: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A day index in the given quarter for each element, drawn with day weights."""
    out = np.empty(len(quarters), dtype=np.int32)
    for q in np.unique(quarters):
        sel = np.flatnonzero(quarters == q)
        days = np.flatnonzero(q == QUARTER_OF_DAY)
        cdf = np.cumsum(weights[days])
        out[sel] = days[np.searchsorted(cdf, rng.uniform(0, cdf[-1], len(sel)))]
    return out


def quarter_weight(weights: np.ndarray) -> np.ndarray:
    """Each quarter's volume relative to the mean quarter."""
    totals = np.bincount(QUARTER_OF_DAY, weights=weights)
    return totals / totals.mean()


DATE_FORMATS = {
    "iso": lambda d: d.isoformat(),  # 2025-03-05
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",  # 2025/3/5
    "cn": lambda d: f"{d.year}年{d.month}月{d.day}日",  # 2025年3月5日
    "dot": lambda d: f"{d.year}.{d.month}.{d.day}",  # 2025.3.5
    "compact": lambda d: d.strftime("%Y%m%d"),  # 20250305
}


def date_table(fmt: str) -> np.ndarray:
    """Formatted text of every day index, for lookup."""
    f = DATE_FORMATS[fmt]
    return np.array([f(d) for d in DAYS], dtype=object)


def impossible_date(fmt: str, year: int) -> str:
    """A date that does not exist (30 February), written in the file's format."""
    return {
        "iso": f"{year}-02-30",
        "slash": f"{year}/2/30",
        "cn": f"{year}年2月30日",
        "dot": f"{year}.2.30",
        "compact": f"{year}0230",
    }[fmt]


def datetime_text(day_text: np.ndarray, minutes: np.ndarray, seconds: bool) -> np.ndarray:
    """'<date> HH:MM[:SS]' from day text and minutes after midnight."""
    hh = np.char.zfill((minutes // 60).astype(str), 2)
    mm = np.char.zfill((minutes % 60).astype(str), 2)
    clock = np.char.add(np.char.add(hh, ":"), mm)
    if seconds:
        clock = np.char.add(clock, ":00")
    return np.char.add(np.char.add(day_text.astype(str), " "), clock).astype(object)

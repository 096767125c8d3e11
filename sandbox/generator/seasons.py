"""When people buy: trend, weekly rhythm, the retail year and its promotions.

Everything here is a pure function of the calendar, vectorised over day indices, so the
historical run and live trading see exactly the same demand for the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CATEGORIES",
    "CHANNEL_INDEX",
    "PROMOS",
    "DayCalendar",
    "Promo",
    "category_factors",
    "channel_factors",
    "day_calendar",
]

CHANNEL_INDEX: Final = {"shopify": 0, "amazon": 1, "rakuten": 2, "pos": 3, "wholesale": 4}
CATEGORIES: Final = ("tops", "bottoms", "outerwear", "shoes", "accessories", "home")

# yearly growth per channel: marketplaces grow fastest, stores are flat
_GROWTH = np.array([0.18, 0.25, 0.10, 0.03, 0.08])

# Monday first; online peaks on Sunday evening and Monday, stores at the weekend,
# wholesale buyers only order on working days.
_WEEKLY = np.array(
    [
        [1.08, 1.00, 0.97, 0.96, 0.93, 0.98, 1.08],
        [1.05, 1.00, 0.98, 0.97, 0.95, 1.00, 1.05],
        [1.05, 0.98, 0.96, 0.96, 0.95, 1.02, 1.08],
        [0.78, 0.76, 0.80, 0.82, 0.98, 1.50, 1.36],
        [1.25, 1.25, 1.25, 1.25, 1.00, 0.0, 0.0],
    ]
)

# Month of year, January first: a slow February and June, the year-end peak in December.
_MONTHLY = np.array(
    [
        [1.10, 0.82, 0.95, 1.00, 0.98, 0.88, 1.05, 0.90, 0.92, 1.00, 1.08, 1.35],
        [1.10, 0.84, 0.95, 1.00, 0.98, 0.90, 1.08, 0.92, 0.92, 1.00, 1.10, 1.35],
        [1.12, 0.84, 0.98, 0.98, 0.98, 0.92, 1.04, 0.90, 0.96, 1.00, 1.08, 1.32],
        [1.15, 0.85, 1.00, 1.02, 1.05, 0.90, 1.02, 0.95, 0.92, 0.98, 1.02, 1.30],
        [0.70, 1.30, 1.25, 0.90, 0.85, 0.80, 0.75, 1.20, 1.25, 1.00, 0.95, 0.80],
    ]
)

# How each category sells through the year (month, January first).
_CATEGORY_MONTHLY = np.array(
    [
        [0.85, 0.80, 1.00, 1.10, 1.20, 1.25, 1.25, 1.15, 1.00, 0.95, 0.85, 0.90],  # tops
        [0.95, 0.90, 1.05, 1.05, 1.00, 0.95, 0.95, 0.95, 1.05, 1.05, 1.00, 1.00],  # bottoms
        [1.55, 1.00, 0.75, 0.55, 0.30, 0.20, 0.20, 0.30, 0.75, 1.35, 1.80, 1.95],  # outerwear
        [0.95, 0.90, 1.10, 1.15, 1.10, 0.95, 1.00, 0.95, 1.00, 1.00, 0.95, 1.05],  # shoes
        [1.00, 0.90, 0.95, 0.95, 0.95, 0.95, 1.00, 0.95, 0.95, 1.00, 1.10, 1.60],  # accessories
        [1.05, 0.95, 1.00, 1.00, 0.95, 0.90, 0.90, 0.95, 0.95, 1.00, 1.10, 1.40],  # home
    ]
)


@dataclass(frozen=True)
class Promo:
    """A promotion: a code some orders of some channels use in a window of the year."""

    code: str
    channels: tuple[int, ...]
    start: tuple[int, int]  # (month, day), inclusive
    end: tuple[int, int]
    rate: float  # share of the subtotal taken off
    uptake: float  # share of the window's orders that use it


PROMOS: Final[tuple[Promo, ...]] = (
    Promo("NEWYEAR20", (0, 2), (1, 1), (1, 14), 0.20, 0.45),
    Promo("FUKUBUKURO", (3,), (1, 2), (1, 3), 0.30, 0.60),
    Promo("WINTERSALE", (3,), (1, 4), (1, 20), 0.20, 0.35),
    Promo("RSS10", (2,), (3, 4), (3, 11), 0.10, 0.40),
    Promo("RSS10", (2,), (6, 4), (6, 11), 0.10, 0.40),
    Promo("SUMMER25", (0,), (7, 1), (7, 21), 0.25, 0.45),
    Promo("SUMMER20", (2, 3), (7, 1), (7, 21), 0.20, 0.40),
    Promo("PRIMEDAY15", (1,), (7, 8), (7, 11), 0.15, 0.50),
    Promo("RSS10", (2,), (9, 4), (9, 11), 0.10, 0.40),
    Promo("BLACKFRIDAY15", (0, 1), (11, 21), (11, 30), 0.15, 0.40),
    Promo("RSS10", (2,), (12, 4), (12, 11), 0.10, 0.40),
    Promo("WELCOME10", (0,), (1, 1), (12, 31), 0.10, 0.04),
    Promo("MEMBER5", (3,), (1, 1), (12, 31), 0.05, 0.03),
)


@dataclass(frozen=True)
class DayCalendar:
    """Calendar facts of a run of days, one entry per day index."""

    days: npt.NDArray[np.int64]  # day index relative to the generation start
    month: npt.NDArray[np.int64]  # 1..12
    day_of_month: npt.NDArray[np.int64]
    weekday: npt.NDArray[np.int64]  # 0 = Monday
    ordinal: npt.NDArray[np.int64]  # (month, day) as month * 100 + day


def day_calendar(start: date, days: npt.NDArray[np.int64]) -> DayCalendar:
    dates = np.datetime64(start, "D") + days
    months = dates.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    dom = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return DayCalendar(
        days=days,
        month=month,
        day_of_month=dom,
        weekday=weekday,
        ordinal=month * 100 + dom,
    )


def _window(
    cal: DayCalendar, start: tuple[int, int], end: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    lo, hi = start[0] * 100 + start[1], end[0] * 100 + end[1]
    return (cal.ordinal >= lo) & (cal.ordinal <= hi)


def channel_factors(cal: DayCalendar) -> npt.NDArray[np.float64]:
    """Demand multiplier per day and channel, shape (days, 5), about 1 on an ordinary day."""
    trend = (1.0 + _GROWTH[None, :]) ** (cal.days[:, None] / 365.0)
    f = trend * _WEEKLY.T[cal.weekday] * _MONTHLY.T[cal.month - 1]
    boosts = (
        # January sale, with New Year's Day closed in the stores and lucky bags on the 2nd
        ((1, 1), (1, 14), (1.35, 1.25, 1.35, 1.30, 1.0)),
        ((1, 1), (1, 1), (1.0, 1.0, 1.0, 0.15, 0.0)),
        ((1, 2), (1, 3), (1.0, 1.0, 1.0, 2.0, 0.0)),
        ((5, 3), (5, 5), (0.9, 0.9, 0.9, 1.35, 0.0)),  # Golden Week: out, not online
        ((3, 4), (3, 11), (1.0, 1.0, 2.1, 1.0, 1.0)),  # Rakuten Super Sale, quarterly
        ((6, 4), (6, 11), (1.0, 1.0, 2.1, 1.0, 1.0)),
        ((9, 4), (9, 11), (1.0, 1.0, 2.1, 1.0, 1.0)),
        ((12, 4), (12, 11), (1.0, 1.0, 1.8, 1.0, 1.0)),
        ((7, 1), (7, 21), (1.35, 1.0, 1.30, 1.30, 1.0)),  # summer sale
        ((7, 8), (7, 11), (1.0, 1.9, 1.0, 1.0, 1.0)),  # Prime Day
        ((8, 13), (8, 16), (0.9, 0.9, 0.9, 1.2, 0.0)),  # Obon
        ((11, 21), (11, 30), (1.30, 1.35, 1.15, 1.15, 1.0)),  # Black Friday
        ((12, 29), (12, 31), (1.0, 1.0, 1.0, 1.0, 0.0)),
    )
    for start, end, factors in boosts:
        f = np.where(_window(cal, start, end)[:, None], f * np.asarray(factors)[None, :], f)
    # the year-end peak builds through December until Christmas
    ramp = np.where(
        (cal.month == 12) & (cal.day_of_month <= 25), 1.0 + 0.35 * cal.day_of_month / 25.0, 1.0
    )
    result: npt.NDArray[np.float64] = f * ramp[:, None]
    return result


def category_factors(cal: DayCalendar) -> npt.NDArray[np.float64]:
    """Multiplier per day and category, shape (days, 6)."""
    result: npt.NDArray[np.float64] = _CATEGORY_MONTHLY.T[cal.month - 1]
    return result

"""Days and instants of the simulated business.

The business lives in Japan, so a "day" is a JST calendar day; instants are stored as
microseconds since the Unix epoch in UTC (what `pl.Datetime("us", "UTC")` holds). Day index 0
is the first simulated day; live trading continues the same index past the generated period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

__all__ = [
    "DAY_US",
    "HOUR_US",
    "JST_OFFSET_US",
    "NULL_TS",
    "day_of",
    "day_start_us",
    "iso_utc",
    "to_datetime",
]

HOUR_US = 3_600 * 1_000_000
DAY_US = 24 * HOUR_US
JST_OFFSET_US = 9 * HOUR_US
NULL_TS = -1  # an event that never happens; becomes a null in the tables
_EPOCH = date(1970, 1, 1)


def day_start_us(start: date, day: int) -> int:
    """The instant (UTC microseconds) at which JST day `day` after `start` begins."""
    return ((start - _EPOCH).days + day) * DAY_US - JST_OFFSET_US


def day_of(start: date, us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The JST day index of each instant; nulls (`NULL_TS`) map to a large negative day."""
    base = day_start_us(start, 0)
    days = np.floor_divide(us - base, DAY_US)
    return np.where(us == NULL_TS, np.iinfo(np.int64).min // 2, days)


def to_datetime(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def iso_utc(us: int) -> str:
    return to_datetime(us).isoformat()

"""How RMS order searches are cut and written: 63-day windows, seconds, JST.

RakutenPayOrderAPI's searchOrder takes bounds as ``2017-10-14T00:00:00+0900`` (JST, no colon in
the offset; any other spelling is refused), compares them at second precision and includes both
ends. A window may span at most 63 days, and no search returns more than 15,000 order numbers,
so a long pull is cut into windows here and a crowded window is halved (see `halve`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum
from typing import Final

__all__ = [
    "JST",
    "MAX_WINDOW",
    "DateType",
    "halve",
    "parse_rms_time",
    "rms_time",
    "windows",
]

JST: Final = timezone(timedelta(hours=9), "JST")
MAX_WINDOW: Final = timedelta(days=63)
_SECOND: Final = timedelta(seconds=1)
_RMS_TIME: Final = "%Y-%m-%dT%H:%M:%S%z"
# RMS's own form, on which fromisoformat (C, ~20x faster) and strptime agree, valid or not;
# offset minutes over 59 are left to strptime, which refuses them where fromisoformat wraps.
_RMS_FORM: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}[0-5]\d")


class DateType(IntEnum):
    """Which of an order's dates ``dateType`` searches (RMS has no "updated at")."""

    ORDERED = 1  # 注文日
    CONFIRMED = 2  # 注文確認日
    FIXED = 3  # 注文確定日
    SHIPPED = 4  # 発送日
    SHIPPING_REPORTED = 5  # 発送完了報告日
    SETTLED = 6  # 決済確定日


def rms_time(moment: datetime) -> str:
    """``2017-10-14T09:00:00+0900``: the only form searchOrder accepts."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; RMS times are absolute")
    return moment.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+0900")


def parse_rms_time(raw: str) -> datetime:
    """An order API datetime as UTC (ValueError if it is not in RMS's form)."""
    if _RMS_FORM.fullmatch(raw):
        return datetime.fromisoformat(raw).astimezone(UTC)
    return datetime.strptime(raw, _RMS_TIME).astimezone(UTC)


def _floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def windows(
    start: datetime, end: datetime, *, span: timedelta = MAX_WINDOW
) -> list[tuple[datetime, datetime]]:
    """[start, end] as consecutive windows with inclusive bounds, none longer than `span`.

    Bounds are whole seconds (RMS compares at that precision); windows neither overlap nor
    leave a second uncovered. An end before the start gives no windows.
    """
    first, last = _floor(start), _floor(end)
    found: list[tuple[datetime, datetime]] = []
    while first <= last:
        # A second less than the span: "within 63 days" must hold whichever way RMS counts.
        window_end = min(first + span - _SECOND, last)
        found.append((first, window_end))
        first = window_end + _SECOND
    return found


def halve(
    start: datetime, end: datetime
) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]] | None:
    """Two windows covering [start, end], or None when it is a single second."""
    first, last = _floor(start), _floor(end)
    if last <= first:
        return None
    middle = first + timedelta(seconds=(last - first) // _SECOND // 2)
    return (first, middle), (middle + _SECOND, last)

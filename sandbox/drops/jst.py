"""Japanese business days: JST (UTC+9, no daylight saving) calendar days of UTC timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Final

import polars as pl

__all__ = ["JST", "as_utc", "business_days", "first_day_start", "jst", "last_business_day"]

JST: Final = timezone(timedelta(hours=9), "JST")
_JST_ZONE: Final = "Asia/Tokyo"


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken as UTC, as every world timestamp is."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def jst(column: str) -> pl.Expr:
    """A UTC timestamp column as JST wall-clock time."""
    return pl.col(column).dt.convert_time_zone(_JST_ZONE)


def business_days(start: datetime, end: datetime) -> list[date]:
    """The JST days that overlap [start, end), in order."""
    if as_utc(end) <= as_utc(start):
        return []
    first = as_utc(start).astimezone(JST).date()
    last = last_business_day(end)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def first_day_start(start: datetime) -> datetime:
    """The JST midnight (in UTC) that opens the business day `start` falls on."""
    return datetime.combine(as_utc(start).astimezone(JST).date(), time(), JST).astimezone(UTC)


def last_business_day(end: datetime) -> date:
    """The JST day of the last instant before `end` (an exclusive bound)."""
    return (as_utc(end) - timedelta(microseconds=1)).astimezone(JST).date()

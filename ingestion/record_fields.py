"""What every landed record needs from its raw JSON: its key and its last-changed time.

A value that is missing or unreadable gives "" or None rather than an error: the entity's
contract then quarantines the record with the reason, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["id_key", "parse_utc", "updated_at"]


def id_key(record: Mapping[str, Any]) -> str:
    """The channel's ``id`` for a record ("" when it has none: the contract quarantines it)."""
    value = record.get("id")
    return "" if value is None else str(value)


def parse_utc(raw: Any) -> datetime | None:
    """An ISO 8601 time with an offset (or Z) in UTC, the landing columns' zone; else None.

    Channels write their own offset (Shopify and the supplier +09:00, Amazon Z); a time
    without an offset is ambiguous and reads as None.
    """
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else None


def updated_at(record: Mapping[str, Any]) -> datetime | None:
    """The record's ``updated_at`` in UTC; None when missing or unreadable."""
    return parse_utc(record.get("updated_at"))

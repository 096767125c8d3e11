"""The Data health page's queries: every completed load, the records the landing zone refused,
the pulls and files that failed, and how complete each channel and entity is.

The build makes marts of the landing zone's load manifests, quarantine files and failure records
(fct_loads, fct_quarantined_records, fct_ingest_failures, fct_channel_completeness;
dbt_project/models/marts/operations), so the page reads them from the snapshot like every other
page: the app opens nothing but the snapshot (DESIGN.md decision 6). Their times stay in UTC, as
the page showed them when it read the files itself.

Whether an entity is stale depends on when one looks, so it is worked out here, not in the
build: `STALE_AFTER` is the one place its thresholds are set (the Overview warns from it too).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

import polars as pl
import streamlit as st

from ichigen.app.data.connection import LIMIT, TTL, Snapshot, _frame, columns, tables

__all__ = [
    "STALE_AFTER",
    "STALE_AFTER_DEFAULT",
    "completeness",
    "completeness_warning",
    "failures",
    "held_warning",
    "loads",
    "needing_attention",
    "quarantine",
    "with_staleness",
]

# How long an entity may go without a completed load before the app calls it stale (an entity
# not named here: STALE_AFTER_DEFAULT). Each is many times its cadence (orchestration/
# schedules.py), so a missed run, a restart or a channel's maintenance window says nothing, but
# a feed that stopped is named within a business day or two:
# - orders, refunds, customers and purchase orders are pulled every 15 minutes: two days, so a
#   day of orders gone missing is named before the next day's figures are read;
# - stock is pulled every 5 minutes and is what stock pushes send to the channels: one day;
# - a POS export comes per store and business day, the warehouse's stock file daily: two days;
# - reference data (products, locations, suppliers, the catalogue, the member master) is pulled
#   daily and changes slowly, and wholesale sheets come when a buyer orders: a week.
STALE_AFTER_DEFAULT: Final = timedelta(days=2)
STALE_AFTER: Final[Mapping[str, timedelta]] = MappingProxyType(
    {
        "orders": timedelta(days=2),
        "refunds": timedelta(days=2),
        "customers": timedelta(days=2),
        "purchase_orders": timedelta(days=2),
        "inventory_levels": timedelta(days=1),
        "inventory_summaries": timedelta(days=1),
        "inventories": timedelta(days=1),
        "sales": timedelta(days=2),
        "snapshots": timedelta(days=2),
        "products": timedelta(days=7),
        "locations": timedelta(days=7),
        "suppliers": timedelta(days=7),
        "catalogue": timedelta(days=7),
        "members": timedelta(days=7),
        "order_lines": timedelta(days=7),
    }
)


_UTC: Final = pl.Datetime("us", "UTC")

# The columns the page shows, also when the snapshot has none to show (none published yet, or
# published by a build before these marts).
_LOADS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "channel": pl.String(),
    "entity": pl.String(),
    "load_id": pl.String(),
    "started_at": _UTC,
    "finished_at": _UTC,
    "records": pl.Int64(),
    "accepted": pl.Int64(),
    "quarantined": pl.Int64(),
    "checks": pl.Int64(),
    "checks_failed": pl.Int64(),
    "failed_expectations": pl.String(),
    "max_record_updated_at": _UTC,
    "source": pl.String(),
}

_QUARANTINE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "channel": pl.String(),
    "entity": pl.String(),
    "load_id": pl.String(),
    "loaded_at": _UTC,
    "first_loaded_at": _UTC,
    "times_received": pl.Int64(),
    "record_key": pl.String(),
    "reasons": pl.String(),
    "raw": pl.String(),
}


def _in_utc(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    times = [name for name, dtype in schema.items() if dtype == _UTC]
    return frame.with_columns(pl.col(times).dt.convert_time_zone("UTC"))


@st.cache_data(ttl=TTL, show_spinner=False)
def loads(snap: Snapshot | None) -> pl.DataFrame:
    """Every completed load, newest first: records received, accepted and quarantined, and the
    checks that failed (none before a build has published fct_loads)."""
    if snap is None or "fct_loads" not in tables(snap):
        return pl.DataFrame(schema=_LOADS_SCHEMA)
    frame = _frame(
        snap,
        f"""
        select {", ".join(_LOADS_SCHEMA)}
        from fct_loads
        order by finished_at desc nulls last, load_key
        """,
    )
    return _in_utc(frame, _LOADS_SCHEMA)


@st.cache_data(ttl=TTL, show_spinner=False)
def quarantine(snap: Snapshot | None, *, limit: int = LIMIT) -> pl.DataFrame:
    """The `limit` most recently received quarantined records, each once however often it was
    received (`times_received`), with their reasons and the record as received."""
    if snap is None or "fct_quarantined_records" not in tables(snap):
        return pl.DataFrame(schema=_QUARANTINE_SCHEMA)
    frame = _frame(
        snap,
        f"""
        select {", ".join(_QUARANTINE_SCHEMA)}
        from fct_quarantined_records
        order by loaded_at desc, quarantined_record_key
        limit $limit
        """,
        {"limit": limit},
    )
    return _in_utc(frame, _QUARANTINE_SCHEMA)


_COMPLETENESS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "channel": pl.String(),
    "entity": pl.String(),
    "is_complete": pl.Boolean(),
    "loaded_through": _UTC,
    "last_completed_load_at": _UTC,
    "last_pull_failure_at": _UTC,
    "last_failure_at": _UTC,
    "last_failure_kind": pl.String(),
    "last_failure_error_class": pl.String(),
    "last_failure_cause": pl.String(),
    "last_failure_fix": pl.String(),
    "loads": pl.Int64(),
    "records_received": pl.Int64(),
    "records_accepted": pl.Int64(),
    "records_quarantined": pl.Int64(),
    "quarantined_distinct": pl.Int64(),
    "pull_failures": pl.Int64(),
    "files_failed": pl.Int64(),
    "is_held": pl.Boolean(),
    "held_as_of": _UTC,
    "held_since": _UTC,
    "held_reason": pl.String(),
}
# published by builds before channels could be held back: no channel held
_HELD_DEFAULTS: Final = {
    "is_held": "false",
    "held_as_of": "cast(null as timestamptz)",
    "held_since": "cast(null as timestamptz)",
    "held_reason": "cast(null as varchar)",
}

_FAILURES_SCHEMA: Final[dict[str, pl.DataType]] = {
    "channel": pl.String(),
    "entity": pl.String(),
    "kind": pl.String(),
    "failed_at": _UTC,
    "first_failed_at": _UTC,
    "times_failed": pl.Int64(),
    "error_class": pl.String(),
    "cause": pl.String(),
    "fix": pl.String(),
    "source": pl.String(),
    "content_sha256": pl.String(),
    "load_id": pl.String(),
    "resolved_at": _UTC,
}


@st.cache_data(ttl=TTL, show_spinner=False)
def completeness(snap: Snapshot | None) -> pl.DataFrame:
    """One row per channel and entity that has landed or failed: how far it landed, whether it
    is complete, its last failure and its totals (none before fct_channel_completeness is
    published)."""
    if snap is None or "fct_channel_completeness" not in tables(snap):
        return pl.DataFrame(schema=_COMPLETENESS_SCHEMA)
    present = set(columns(snap, "fct_channel_completeness"))
    selected = [
        name
        if name in present or name not in _HELD_DEFAULTS
        else f"{_HELD_DEFAULTS[name]} as {name}"
        for name in _COMPLETENESS_SCHEMA
    ]
    frame = _frame(
        snap,
        f"""
        select {", ".join(selected)}
        from fct_channel_completeness
        order by channel, entity
        """,
    )
    return _in_utc(frame, _COMPLETENESS_SCHEMA)


@st.cache_data(ttl=TTL, show_spinner=False)
def failures(snap: Snapshot | None) -> pl.DataFrame:
    """Every pull that failed and every file that failed whole (counted once per content), the
    unresolved first, newest first."""
    if snap is None or "fct_ingest_failures" not in tables(snap):
        return pl.DataFrame(schema=_FAILURES_SCHEMA)
    frame = _frame(
        snap,
        f"""
        select {", ".join(_FAILURES_SCHEMA)}
        from fct_ingest_failures
        order by resolved_at is not null, failed_at desc nulls last, ingest_failure_key
        """,
    )
    return _in_utc(frame, _FAILURES_SCHEMA)


def with_staleness(frame: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """`completeness` with `stale_after_days` and `is_stale`: no completed load within its
    entity's `STALE_AFTER` (else `STALE_AFTER_DEFAULT`) of `now`."""
    day = timedelta(days=1)
    return frame.with_columns(
        stale_after_days=pl.col("entity").replace_strict(
            {entity: limit / day for entity, limit in STALE_AFTER.items()},
            default=STALE_AFTER_DEFAULT / day,
            return_dtype=pl.Float64,
        )
    ).with_columns(
        is_stale=pl.col("last_completed_load_at").is_null()
        | (
            (pl.lit(now) - pl.col("last_completed_load_at")).dt.total_seconds()
            > pl.col("stale_after_days") * 86_400
        )
    )


def needing_attention(frame: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """The channels and entities of `completeness` that are incomplete or stale at `now`."""
    return with_staleness(frame, now=now).filter(~pl.col("is_complete") | pl.col("is_stale"))


def _ago(then: datetime, now: datetime) -> str:
    hours = (now - then) / timedelta(hours=1)
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def held_warning(frame: pl.DataFrame) -> str | None:
    """Each channel of `completeness` whose new data the build held back, with the state it
    shows and why (None: none held, or a frame from before channels could be held)."""
    if "is_held" not in frame.columns:
        return None
    held = frame.filter(pl.col("is_held")).unique("channel", keep="first").sort("channel")
    lines = []
    for row in held.iter_rows(named=True):
        as_of = row["held_as_of"]
        state = (
            f"its last good state from {as_of:%Y-%m-%d %H:%M} UTC"
            if as_of is not None
            else "nothing of it yet (no build has read it)"
        )
        reason = (row["held_reason"] or "").rstrip(".")
        lines.append(
            f"- **{row['channel']}**: new data could not be built; showing {state}: {reason}."
        )
    if not lines:
        return None
    return (
        "New data held back: these channels show their last good state until a build can "
        "read what they landed since.\n\n" + "\n".join(lines)
    )


def completeness_warning(frame: pl.DataFrame, *, now: datetime) -> str | None:
    """What the Overview and Data health warn about: each channel held back at its last good
    state (`held_warning`), then each channel and entity of `completeness` that is incomplete or
    stale at `now`, with why (None: nothing to say)."""
    held = held_warning(frame)
    lines = []
    for row in needing_attention(frame, now=now).iter_rows(named=True):
        name = f"**{row['channel']} {row['entity']}**"
        last_load = row["last_completed_load_at"]
        if not row["is_complete"]:
            failed_at = row["last_failure_at"]
            what = (
                "nothing has landed yet"
                if last_load is None
                else f"the last try failed {_ago(failed_at, now)} ago"
                if failed_at is not None
                else "its last try did not complete"
            )
            cause = row["last_failure_cause"]
            cause = f" — {cause.rstrip('.')}" if cause else ""
            fix = f" Fix: `{row['last_failure_fix']}`." if row["last_failure_fix"] else ""
            lines.append(f"- {name}: incomplete, {what}{cause}.{fix}")
        else:
            days = row["stale_after_days"]
            lines.append(
                f"- {name}: stale, no completed load for {_ago(last_load, now)} "
                f"(expected within {days:g} day{'' if days == 1 else 's'})."
            )
    stale = (
        "Incomplete or stale data: figures from these may be short.\n\n" + "\n".join(lines)
        if lines
        else None
    )
    return "\n\n".join(part for part in (held, stale) if part) or None

"""The Data health page's queries: every completed load and the records the landing zone refused.

The build makes marts of the landing zone's load manifests and quarantine files (fct_loads and
fct_quarantined_records, dbt_project/models/marts/operations), so the page reads them from the
snapshot like every other page: the app opens nothing but the snapshot (DESIGN.md decision 6).
Their times stay in UTC, as the page showed them when it read the files itself.
"""

from __future__ import annotations

from typing import Final

import polars as pl
import streamlit as st

from ichigen.app.data.connection import LIMIT, TTL, Snapshot, _frame, tables

__all__ = ["loads", "quarantine"]

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
    """The newest `limit` quarantined records, with their reasons and the record as received."""
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

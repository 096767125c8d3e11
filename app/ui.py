"""Pieces every page uses: the empty state, filters, downloadable tables, a few formats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl
import streamlit as st

from ichigen.app.data import connection
from ichigen.app.snapshot import Snapshot

__all__ = [
    "NO_DATA",
    "download_table",
    "multiselect_filter",
    "period_filter",
    "require_snapshot",
    "table_ready",
    "yen",
]

NO_DATA = "No data yet — run `oms build` (or `oms demo`) to publish the first snapshot."


def require_snapshot(*tables_needed: str) -> Snapshot:
    """The current snapshot; without one (or without `tables_needed`) say so and stop the page."""
    snap = connection.snapshot()
    if snap is None:
        st.info(NO_DATA, icon=":material/hourglass_empty:")
        st.stop()
    assert snap is not None  # st.stop() raises; this tells the type checker
    missing = [t for t in tables_needed if t not in connection.tables(snap)]
    if missing:
        st.info(
            f"No data yet: {', '.join(missing)} is not in the snapshot — run `oms build`.",
            icon=":material/hourglass_empty:",
        )
        st.stop()
    return snap


def table_ready(snap: Snapshot, table: str, what: str) -> bool:
    """Whether `table` is built and has rows; if not, a clear note about `what` is shown."""
    if table not in connection.tables(snap):
        st.info(f"{what}: not built yet ({table} is not in the snapshot).")
        return False
    if connection.row_count(snap, table) == 0:
        st.info(f"{what}: no data yet ({table} is empty) — run `oms build` after an ingest.")
        return False
    return True


def period_filter(
    snap: Snapshot, *, key: str, table: str = "fct_orders", default_days: int = 90
) -> tuple[date, date]:
    """A date range over the data's own dates (the sandbox's calendar is not today's)."""
    bounds = connection.date_bounds(snap, table)
    if bounds is None:
        today = date.today()
        return today, today
    lo, hi = bounds
    value = st.date_input(
        "Period",
        value=(max(lo, hi - timedelta(days=default_days - 1)), hi),
        min_value=lo,
        max_value=hi,
        key=key,
    )
    # while a range is being picked the widget holds one date
    if isinstance(value, Sequence) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, Sequence) and len(value) == 1:
        return value[0], value[0]
    if isinstance(value, date):
        return value, value
    return lo, hi


def multiselect_filter(label: str, options: Sequence[str], *, key: str) -> list[str]:
    """A multiselect where nothing chosen means everything."""
    chosen = st.multiselect(label, list(options), key=key, placeholder="All")
    return [str(c) for c in chosen]


def download_table(frame: pl.DataFrame, *, name: str, key: str) -> None:
    """A CSV download of `frame` (all of it, whatever the table on screen shows)."""
    st.download_button(
        f"Download {name}.csv",
        frame.write_csv().encode("utf-8"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )


def yen(value: float | int | None) -> str:
    return "–" if value is None else f"¥{value:,.0f}"

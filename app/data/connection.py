"""The snapshot, opened once per published version, and what every page asks of it.

Everything is read-only. The snapshot ($ICHIGEN_DATA_DIR/serving/current.duckdb) is attached
``read_only`` once per published version (`st.cache_resource`, keyed by the file's inode
and mtime, so a new build is picked up without restarting and an old reader is never
disturbed). Each query runs on its own cursor of that connection, so concurrent sessions do not
share one, and its result is cached with `st.cache_data(ttl=...)` keyed by the version too.

Filters arrive as arguments and reach DuckDB as named parameters (``$channels``), never as SQL
text. An empty filter means "all". Functions take the `Snapshot` first: pages get it once per
run from `snapshot()` and, when it is None or lacks a table, show "no data yet".

Besides the public names, the page query modules beside this one share `_frame` (a query's
answer as a frame), `_list` (a filter as DuckDB's list parameter) and the orders filter
(`_ORDER_FILTER`, `_period`); pages never call them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

import duckdb
import polars as pl
import streamlit as st

from ichigen.app.snapshot import Snapshot, current_snapshot

__all__ = [
    "LIMIT",
    "TTL",
    "Snapshot",
    "categories",
    "channels",
    "columns",
    "date_bounds",
    "locations",
    "row_count",
    "row_counts",
    "snapshot",
    "tables",
]

TTL: Final = 60  # seconds; a new snapshot changes the cache key at once, this bounds the rest
DISPLAY_TIME_ZONE: Final = "Asia/Tokyo"
LIMIT: Final = 5000  # rows a table shows (the CSV download gets them all)


def snapshot() -> Snapshot | None:
    """The current published snapshot (None before the first build)."""
    return current_snapshot()


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(snap: Snapshot) -> duckdb.DuckDBPyConnection:
    # One read-only attachment per published version; the renamed-over file stays readable
    # through it until the last session lets go. ATTACH to a private in-memory database rather
    # than duckdb.connect(path): DuckDB caches a process's databases by path, so connecting to
    # the same path again would hand back the old, renamed-over file.
    con = duckdb.connect(":memory:")
    con.execute(f"attach {_sql_string(snap.path)} as snapshot (read_only)")
    # A page's table is the top LIMIT rows of a wide mart; with late materialisation DuckDB
    # sorts on the ordering columns alone and fetches the other columns for the rows kept.
    # Its default stops at 50 rows; at LIMIT, the Customers page's segment table (the top 5,000
    # of 50,000 customers, 33 columns, at the large tier) took 20 ms instead of 34.
    con.execute(f"set global late_materialization_max_rows = {LIMIT}")
    return con


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _frame(snap: Snapshot, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    with _connection(snap).cursor() as cur:
        cur.sql("use snapshot")  # per cursor: each is its own connection
        table = cur.sql(sql, params=dict(params or {})).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return _plain_numbers(frame)


def _plain_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB sums BIGINTs into HUGEINTs (128-bit) and keeps DECIMALs; charts and tables want
    ordinary integers and floats."""
    casts = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Int128 or (isinstance(dtype, pl.Decimal) and dtype.scale == 0):
            casts.append(pl.col(name).cast(pl.Int64))
        elif isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Float64))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            # the business runs on Japan time; so do its dates (business_date is JST)
            casts.append(pl.col(name).dt.convert_time_zone(DISPLAY_TIME_ZONE))
    return frame.with_columns(casts) if casts else frame


def _list(values: Sequence[str] | None) -> list[str]:
    return [str(v) for v in values or []]


@st.cache_data(ttl=TTL, show_spinner=False)
def tables(snap: Snapshot) -> frozenset[str]:
    """Tables the snapshot holds (its main schema)."""
    # duckdb_tables() rather than information_schema: the same answer in a fifth of the time
    frame = _frame(
        snap,
        "select table_name from duckdb_tables() "
        "where database_name = 'snapshot' and schema_name = 'main'",
    )
    return frozenset(frame["table_name"].to_list())


@st.cache_data(ttl=TTL, show_spinner=False)
def columns(snap: Snapshot, table: str) -> tuple[str, ...]:
    frame = _frame(
        snap,
        "select column_name from information_schema.columns where table_catalog = 'snapshot' "
        "and table_schema = 'main' and table_name = $table order by ordinal_position",
        {"table": table},
    )
    return tuple(frame["column_name"].to_list())


@st.cache_data(ttl=TTL, show_spinner=False)
def row_count(snap: Snapshot, table: str) -> int:
    if table not in tables(snap):
        return 0
    # the name comes from the snapshot's own catalogue, never from a widget
    return int(_frame(snap, f'select count(*) as n from main."{table}"')["n"][0])


@st.cache_data(ttl=TTL, show_spinner=False)
def row_counts(snap: Snapshot) -> dict[str, int]:
    """Rows per table of the snapshot, in one query (a page listing them all asks once)."""
    names = sorted(tables(snap))
    if not names:
        return {}
    # the names come from the snapshot's own catalogue, never from a widget
    counts = " union all ".join(
        f"select '{name}' as table_name, count(*) as n from main.\"{name}\"" for name in names
    )
    frame = _frame(snap, counts)
    return dict(zip(frame["table_name"].to_list(), frame["n"].to_list(), strict=True))


# --- filter choices several pages offer -------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def channels(snap: Snapshot) -> list[str]:
    return _frame(snap, "select distinct channel from fct_orders order by 1")["channel"].to_list()


@st.cache_data(ttl=TTL, show_spinner=False)
def categories(snap: Snapshot) -> list[str]:
    frame = _frame(
        snap, "select distinct category from dim_products where category is not null order by 1"
    )
    return frame["category"].to_list()


@st.cache_data(ttl=TTL, show_spinner=False)
def locations(snap: Snapshot) -> pl.DataFrame:
    return _frame(snap, "select * from dim_locations order by kind, location_id")


@st.cache_data(ttl=TTL, show_spinner=False)
def date_bounds(snap: Snapshot, table: str = "fct_orders") -> tuple[date, date] | None:
    """First and last business day in the orders (or demand), for the period widgets."""
    column = {"fct_orders": "business_date", "agg_demand_channel_daily": "demand_date"}[table]
    frame = _frame(snap, f"select min({column}) as lo, max({column}) as hi from {table}")
    lo, hi = frame.row(0)
    return (lo, hi) if lo is not None and hi is not None else None


# --- the orders' period and channels (the Overview and Orders pages) ---------------------------

_ORDER_FILTER: Final = """
    (len($channels) = 0 or list_contains($channels, channel))
    and business_date between $start and $end
"""


def _period(channels: Sequence[str] | None, start: date, end: date) -> dict[str, Any]:
    return {"channels": _list(channels), "start": start, "end": end}

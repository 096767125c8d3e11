"""The snapshot, opened once per published version, and what every page asks of it.

Everything is read-only. The snapshot ($ICHIGEN_DATA_DIR/serving/current.duckdb) is attached
``read_only`` once per published version (`st.cache_resource`, keyed by the file's inode
and mtime, so a new build is picked up without restarting and an old reader is never
disturbed). Each query runs on its own cursor of that connection, so concurrent sessions do not
share one, and its result is cached with `st.cache_data(ttl=...)` keyed by the version too.

Personal data is masked in the snapshot (`ichigen.orchestration.serving`). A query for a role
that may see it (`ichigen.ops.roles`, checked here) runs on a second connection, made the first
time such a role asks: there the snapshot's restricted file of clear values is attached
``read_only`` too, once its build id is checked to be the snapshot's, and every table is a view
of the snapshot's with its clear values put back, so the same SQL answers in the clear. Without
its restricted file (or for a snapshot published before personal data was masked) the query
runs on the snapshot as it is, and `clear_values_missing` says so.

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
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl
import streamlit as st

from ichigen.app.snapshot import Snapshot, current_snapshot
from ichigen.ops.roles import Permission, Role, can

__all__ = [
    "LIMIT",
    "TTL",
    "Snapshot",
    "categories",
    "channels",
    "clear_values_missing",
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


@st.cache_resource(max_entries=2, show_spinner=False)
def _clear_connection(snap: Snapshot) -> duckdb.DuckDBPyConnection | None:
    # Its own in-memory database, so the restricted file is never attached where the sessions
    # of other roles query. None when the snapshot names no restricted file of its build.
    build = _build(snap)
    if build is None:
        return None
    build_id, restricted = build
    path = Path(snap.path).parent / restricted
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {_sql_string(snap.path)} as snapshot (read_only)")
        con.execute(f"attach {_sql_string(str(path))} as restricted (read_only)")
        row = con.execute("select build_id from restricted.serving.build").fetchone()
        if row is None or row[0] != build_id:
            con.close()
            return None
        _views_in_the_clear(con)
    except duckdb.Error:  # no such file, or not the restricted file of a build
        con.close()
        return None
    con.execute(f"set global late_materialization_max_rows = {LIMIT}")
    return con


def _views_in_the_clear(con: duckdb.DuckDBPyConnection) -> None:
    """A view per snapshot table in the in-memory database: the snapshot's rows, with the clear
    values of those the restricted file keeps (by the key it names for the table)."""
    keys = dict(
        con.execute("select table_name, key_column from restricted.serving.keys").fetchall()
    )
    names = con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = 'snapshot' and schema_name = 'main'"
    ).fetchall()
    for (table,) in names:
        name = _identifier(table)
        if table not in keys:
            con.execute(f"create view memory.main.{name} as select * from snapshot.main.{name}")
            continue
        clear = [
            column
            for (column,) in con.execute(
                "select column_name from duckdb_columns() where database_name = 'restricted' "
                "and schema_name = 'main' and table_name = $table and column_name <> '_key' "
                "order by column_index",
                {"table": table},
            ).fetchall()
        ]
        put_back = ", ".join(
            f"case when r._key is null then s.{c} else r.{c} end as {c}"
            for c in map(_identifier, clear)
        )
        con.execute(
            f"create view memory.main.{name} as select s.* replace ({put_back}) "
            f"from snapshot.main.{name} as s left join restricted.main.{name} as r "
            f"on s.{_identifier(keys[table])} = r._key"
        )


def _build(snap: Snapshot) -> tuple[str, str] | None:
    """The snapshot's build id and its restricted file (relative to the snapshot's folder), or
    None for a snapshot published before personal data was masked."""
    try:
        with _connection(snap).cursor() as cur:
            row = cur.execute("select build_id, restricted from snapshot.serving.build").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None else (str(row[0]), str(row[1]))


def clear_values_missing(snap: Snapshot) -> bool:
    """Whether the snapshot holds personal data masked and its clear values cannot be read (its
    restricted file is gone, or from another build). Opens the restricted file: ask it only for
    a role that may see personal data."""
    return _build(snap) is not None and _clear_connection(snap) is None


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _frame(
    snap: Snapshot,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    role: Role | None = None,
) -> pl.DataFrame:
    """The answer to `sql` on the snapshot, in the clear when `role` may see personal data."""
    clear = _clear_connection(snap) if _may_see_personal_data(role) else None
    con, catalog = (clear, "memory") if clear is not None else (_connection(snap), "snapshot")
    with con.cursor() as cur:
        cur.sql(f"use {catalog}")  # per cursor: each is its own connection
        table = cur.sql(sql, params=dict(params or {})).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return _plain_numbers(frame)


def _may_see_personal_data(role: Role | None) -> bool:
    # the server-side check: the page's role decides nothing without it
    return role is not None and can(role, Permission.SEE_PERSONAL_DATA)


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

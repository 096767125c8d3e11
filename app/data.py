"""The app's one way to read data: the published snapshot, the load manifests and the quarantine.

Everything is read-only. The snapshot ($ICHIGEN_DATA_DIR/serving/current.duckdb) is attached
``read_only`` once per published version (`st.cache_resource`, keyed by the file's inode
and mtime, so a new build is picked up without restarting and an old reader is never
disturbed). Each query runs on its own cursor of that connection, so concurrent sessions do not
share one, and its result is cached with `st.cache_data(ttl=...)` keyed by the version too.

Filters arrive as arguments and reach DuckDB as named parameters (``$channels``), never as SQL
text. An empty filter means "all". Functions take the `Snapshot` first: pages get it once per
run from `snapshot()` and, when it is None or lacks a table, show "no data yet".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl
import streamlit as st

from ichigen.app.snapshot import Snapshot, current_snapshot, data_dir
from ichigen.customer_views import CHANNEL_MIX, COHORTS, CUSTOMER_ORDERS, selection_key

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "Snapshot",
    "availability",
    "categories",
    "channels",
    "cohorts",
    "columns",
    "customer_identities",
    "customer_on_several_channels",
    "customer_profile",
    "customer_segments",
    "customer_summary",
    "customers_in_segment",
    "data_root",
    "date_bounds",
    "demand_forecast",
    "demand_history",
    "demand_sellers",
    "demand_weekday",
    "forecast_accuracy",
    "inventory",
    "load_manifests",
    "locations",
    "order_detail",
    "order_status_counts",
    "orders",
    "overview_by_channel",
    "overview_trend",
    "quarantine",
    "reorder_signals",
    "return_rates",
    "return_totals",
    "returns_by_reason",
    "rfm_segments",
    "row_count",
    "row_counts",
    "snapshot",
    "stockouts_by_channel",
    "suppliers",
    "tables",
]

TTL: Final = 60  # seconds; a new snapshot changes the cache key at once, this bounds the rest
DISPLAY_TIME_ZONE: Final = "Asia/Tokyo"
LIMIT: Final = 5000  # rows a table shows (the CSV download gets them all)

OPEN_STATUSES: Final = (
    "on_hold_for_review",
    "awaiting_payment",
    "preorder_awaiting_release",
    "awaiting_stock",
    "ready_to_ship",
)
CLOSED_STATUSES: Final = ("shipped", "delivered", "returned", "cancelled")


def snapshot() -> Snapshot | None:
    """The current published snapshot (None before the first build)."""
    return current_snapshot()


def data_root() -> str:
    """$ICHIGEN_DATA_DIR, for the file readers below."""
    return str(data_dir())


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


# --- filter choices ---------------------------------------------------------------------------


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
def suppliers(snap: Snapshot) -> list[str]:
    frame = _frame(snap, "select distinct supplier_id from dim_products order by 1")
    return frame["supplier_id"].to_list()


@st.cache_data(ttl=TTL, show_spinner=False)
def date_bounds(snap: Snapshot, table: str = "fct_orders") -> tuple[date, date] | None:
    """First and last business day in the orders (or demand), for the period widgets."""
    column = {"fct_orders": "business_date", "agg_demand_channel_daily": "demand_date"}[table]
    frame = _frame(snap, f"select min({column}) as lo, max({column}) as hi from {table}")
    lo, hi = frame.row(0)
    return (lo, hi) if lo is not None and hi is not None else None


# --- overview ---------------------------------------------------------------------------------

_ORDER_FILTER: Final = """
    (len($channels) = 0 or list_contains($channels, channel))
    and business_date between $start and $end
"""


def _period(channels: Sequence[str] | None, start: date, end: date) -> dict[str, Any]:
    return {"channels": _list(channels), "start": start, "end": end}


@st.cache_data(ttl=TTL, show_spinner=False)
def overview_by_channel(
    snap: Snapshot, *, channels: Sequence[str] | None, start: date, end: date
) -> pl.DataFrame:
    """Orders, units, revenue (net of refunds) and returned units per channel in the period."""
    return _frame(
        snap,
        f"""
        select
            channel,
            count(*) as orders,
            count(*) filter (where order_status <> 'cancelled') as orders_not_cancelled,
            coalesce(sum(units) filter (where order_status <> 'cancelled'), 0) as units,
            coalesce(sum(net_jpy) filter (where order_status <> 'cancelled'), 0) as revenue_jpy,
            coalesce(sum(returned_units), 0) as returned_units,
            count(*) filter (where is_open) as open_orders
        from fct_orders
        where {_ORDER_FILTER}
        group by channel
        order by revenue_jpy desc
        """,
        _period(channels, start, end),
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def overview_trend(
    snap: Snapshot, *, channels: Sequence[str] | None, start: date, end: date
) -> pl.DataFrame:
    """Revenue, orders and units per ISO week and channel."""
    return _frame(
        snap,
        f"""
        select
            date_trunc('week', business_date)::date as week,
            channel,
            count(*) as orders,
            coalesce(sum(units), 0) as units,
            coalesce(sum(net_jpy), 0) as revenue_jpy
        from fct_orders
        where {_ORDER_FILTER} and order_status <> 'cancelled'
        group by all
        order by week, channel
        """,
        _period(channels, start, end),
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def stockouts_by_channel(
    snap: Snapshot, *, channels: Sequence[str] | None, start: date, end: date
) -> pl.DataFrame:
    """SKU-location days out of stock and estimated lost units, per channel, in the period."""
    return _frame(
        snap,
        """
        select
            channel,
            coalesce(sum(stockout_days), 0) as stockout_days,
            coalesce(sum(lost_units_estimated), 0) as lost_units_estimated
        from agg_demand_channel_daily
        where (len($channels) = 0 or list_contains($channels, channel))
            and demand_date between $start and $end
        group by channel
        order by channel
        """,
        _period(channels, start, end),
    )


# --- orders -----------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def order_status_counts(
    snap: Snapshot, *, channels: Sequence[str] | None, start: date, end: date
) -> pl.DataFrame:
    return _frame(
        snap,
        f"""
        select order_status, is_open, count(*) as orders
        from fct_orders
        where {_ORDER_FILTER}
        group by all
        """,
        _period(channels, start, end),
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def orders(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    start: date,
    end: date,
    statuses: Sequence[str] | None = None,
    search: str = "",
    limit: int | None = LIMIT,
) -> pl.DataFrame:
    """The order list, open orders first in the order they should be worked on."""
    rank = ", ".join(f"'{s}'" for s in (*OPEN_STATUSES[::-1], *CLOSED_STATUSES))
    return _frame(
        snap,
        f"""
        select
            order_key, channel, channel_order_id, order_name, order_status, business_date,
            ordered_at, location_id, payment_method, is_paid, units, total_jpy, refunded_jpy,
            net_jpy, returned_units, shipped_at, delivered_at, cancelled_at
        from fct_orders
        where {_ORDER_FILTER}
            and (len($statuses) = 0 or list_contains($statuses, order_status))
            and ($search = '' or order_key ilike $pattern or channel_order_id ilike $pattern
                 or coalesce(order_name, '') ilike $pattern)
        order by list_position([{rank}], order_status), ordered_at desc, order_key
        limit $limit
        """,
        {
            **_period(channels, start, end),
            "statuses": _list(statuses),
            "search": search.strip(),
            "pattern": f"%{search.strip()}%",
            "limit": limit if limit is not None else 2**62,
        },
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def order_detail(snap: Snapshot, order_key: str) -> dict[str, pl.DataFrame]:
    """One order: its row, its lines, its returns and its history as dated events."""
    params = {"order_key": order_key}
    order = _frame(snap, "select * from fct_orders where order_key = $order_key", params)
    lines = _frame(
        snap,
        "select * from fct_order_lines where order_key = $order_key order by line_number",
        params,
    )
    returns = _frame(
        snap, "select * from fct_returns where order_key = $order_key order by refunded_at", params
    )
    return {
        "order": order,
        # the marts' bookkeeping (`_built_at`: which build wrote the row) is not the order's
        "lines": lines.select([c for c in lines.columns if not c.startswith("_")]),
        "returns": returns,
        "history": _order_history(order, returns),
    }


_ORDER_EVENTS: Final = (
    ("ordered_at", "ordered", "order_status"),
    ("paid_at", "paid", "payment_method"),
    ("shipped_at", "shipped", None),
    ("delivered_at", "delivered", None),
    ("cancelled_at", "cancelled", "cancel_reason"),
)


def _order_history(order: pl.DataFrame, returns: pl.DataFrame) -> pl.DataFrame:
    """One order's dated events, from the rows `order_detail` has already read (a query of
    its own would scan fct_orders and fct_returns again, twice each)."""
    no_text = pl.lit(None, pl.String)
    events = [
        order.head(1).select(
            pl.col(at).alias("event_at"),
            pl.lit(event).alias("event"),
            (pl.col(detail).cast(pl.String) if detail else no_text).alias("detail"),
        )
        for at, event, detail in _ORDER_EVENTS
    ]
    events.append(
        returns.select(
            pl.col("requested_at").alias("event_at"),
            pl.lit("return requested").alias("event"),
            pl.concat_str(
                "sku",
                pl.lit(" × "),
                pl.col("quantity").cast(pl.String),
                pl.lit(" ("),
                "reason",
                pl.lit(")"),
            ).alias("detail"),
        )
    )
    events.append(
        returns.select(
            pl.col("refunded_at").alias("event_at"),
            pl.lit("refunded").alias("event"),
            pl.concat_str(
                "sku", pl.lit(": "), pl.col("refund_jpy").cast(pl.String), pl.lit(" JPY")
            ).alias("detail"),
        )
    )
    return pl.concat(events).drop_nulls("event_at").sort("event_at", maintain_order=True)


# --- customers --------------------------------------------------------------------------------


def _kept_answer(
    snap: Snapshot, table: str, channels: Sequence[str] | None, order_by: str
) -> pl.DataFrame | None:
    """The snapshot's kept answer for this channel selection, or None when it keeps none
    (a selection of several channels, or a snapshot published before answers were kept)."""
    key = selection_key(_list(channels))
    if key is None or table not in tables(snap):
        return None
    if "selection" not in columns(snap, table):  # published when only the default was kept
        return _frame(snap, f"select * from {table} order by {order_by}") if key == "" else None
    return _frame(
        snap,
        f"select * exclude (selection) from {table} where selection = $key order by {order_by}",
        {"key": key},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_summary(snap: Snapshot, *, channels: Sequence[str] | None) -> pl.DataFrame:
    """Customers, identities merged, repeat rate and channel mix in one row per channel set.

    For every channel (the page's default) or one alone the snapshot keeps the answer
    (`ichigen.customer_views`); any other selection runs the same query, filtered.
    """
    kept = _kept_answer(snap, "agg_customer_channel_mix", channels, "customers desc")
    if kept is not None:
        return kept
    return _frame(
        snap,
        f"select * from ({CHANNEL_MIX}) order by customers desc",
        {"channels": _list(channels)},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def rfm_segments(snap: Snapshot, *, channels: Sequence[str] | None) -> pl.DataFrame:
    """Recency, frequency and monetary value per customer, scored 1-5 and named."""
    return _frame(
        snap,
        f"""
        with {CUSTOMER_ORDERS},
        as_of as (select max(business_date) as today from fct_orders),
        rfm as (
            select
                customer_id,
                date_diff('day', max(business_date), any_value(as_of.today)) as recency_days,
                count(*) as frequency,
                coalesce(sum(net_jpy), 0) as monetary_jpy,
                string_agg(distinct channel, ' + ' order by channel) as channel_mix
            from customer_orders, as_of
            group by customer_id
        ),
        scored as (
            select
                *,
                ntile(5) over (order by recency_days desc) as r,
                ntile(5) over (order by frequency) as f,
                ntile(5) over (order by monetary_jpy) as m
            from rfm
        )
        select
            *,
            case
                when r >= 4 and f >= 4 then 'champions'
                when f >= 4 then 'loyal'
                when r >= 4 and frequency = 1 then 'new'
                when r <= 2 and f >= 3 then 'at risk'
                when r <= 2 then 'lost'
                else 'needs attention'
            end as segment
        from scored
        order by monetary_jpy desc
        """,
        {"channels": _list(channels)},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def cohorts(snap: Snapshot, *, channels: Sequence[str] | None) -> pl.DataFrame:
    """Customers by month of first order and how many ordered again n months later.

    For every channel or one alone the snapshot keeps the answer (see `customer_summary`).
    """
    kept = _kept_answer(snap, "agg_customer_cohorts", channels, "cohort, months_after")
    if kept is not None:
        return kept
    return _frame(
        snap,
        f"select * from ({COHORTS}) order by cohort, months_after",
        {"channels": _list(channels)},
    )


_DIM_CUSTOMER_FILTER: Final = """
    (len($channels) = 0 or list_has_any(string_split(coalesce(channels, ''), ','), $channels))
"""


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_segments(snap: Snapshot, *, channels: Sequence[str] | None) -> pl.DataFrame:
    """dim_customers' RFM segments: customers, revenue, recency and orders per segment."""
    return _frame(
        snap,
        f"""
        select
            rfm_segment as segment,
            count(*) as customers,
            sum(revenue_jpy) as monetary_jpy,
            avg(recency_days) as avg_recency_days,
            avg(orders) as avg_frequency
        from dim_customers
        where {_DIM_CUSTOMER_FILTER}
        group by rfm_segment
        order by customers desc
        """,
        {"channels": _list(channels)},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def customers_in_segment(
    snap: Snapshot, *, channels: Sequence[str] | None, segment: str
) -> pl.DataFrame:
    """dim_customers rows of one segment, best customers first (personal data included: the
    page masks it by role)."""
    return _frame(
        snap,
        f"""
        select * from dim_customers
        where {_DIM_CUSTOMER_FILTER} and rfm_segment = $segment
        order by revenue_jpy desc, customer_id
        limit $limit
        """,
        {"channels": _list(channels), "segment": segment, "limit": LIMIT},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_on_several_channels(snap: Snapshot, *, channels: Sequence[str] | None) -> str | None:
    """The customer who spent most among those who bought on more than one channel (the
    Customers page's example of identities merged across channels)."""
    frame = _frame(
        snap,
        f"""
        select customer_id from dim_customers
        where {_DIM_CUSTOMER_FILTER} and contains(coalesce(channels, ''), ',')
        order by revenue_jpy desc, customer_id
        limit 1
        """,
        {"channels": _list(channels)},
    )
    return None if frame.is_empty() else str(frame["customer_id"][0])


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_identities(snap: Snapshot, customer_id: str) -> pl.DataFrame:
    """The channel identities merged into one customer, with the rule that joined each."""
    return _frame(
        snap,
        """
        select
            m.identity_key, m.channel, m.channel_customer_id, m.rule, m.score,
            m.linked_identity_key, m.orders
        from map_customer_identities as m
        where m.customer_id = $customer_id
        order by m.channel, m.identity_key
        """,
        {"customer_id": customer_id},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_profile(snap: Snapshot, customer_id: str) -> pl.DataFrame:
    """The customer's row in dim_customers (personal data included: the page masks it)."""
    if "dim_customers" not in tables(snap):
        return pl.DataFrame()
    return _frame(
        snap,
        "select * from dim_customers where customer_id = $customer_id",
        {"customer_id": customer_id},
    )


# --- inventory --------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def inventory(
    snap: Snapshot,
    *,
    locations: Sequence[str] | None,
    categories: Sequence[str] | None,
    search: str = "",
) -> pl.DataFrame:
    return _frame(
        snap,
        """
        select
            i.sku, p.title, p.category, i.location_id, i.location_kind, i.on_hand, i.reserved,
            i.available_to_promise, i.backordered, i.in_transit, i.on_order,
            i.inventory_position, i.next_expected_delivery_date, i.stock_source, i.stock_as_of
        from fct_inventory as i
        left join dim_products as p using (sku)
        where (len($locations) = 0 or list_contains($locations, i.location_id))
            and (len($categories) = 0 or list_contains($categories, p.category))
            and ($search = '' or i.sku ilike $pattern or coalesce(p.title, '') ilike $pattern)
        order by i.sku, i.location_id
        """,
        {
            "locations": _list(locations),
            "categories": _list(categories),
            "search": search.strip(),
            "pattern": f"%{search.strip()}%",
        },
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def availability(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    locations: Sequence[str] | None,
    categories: Sequence[str] | None,
    only_differing: bool = False,
) -> pl.DataFrame:
    """What each channel shows against what it should be told, riskiest first."""
    return _frame(
        snap,
        """
        select
            a.channel, a.location_id, a.sku, p.title, p.category, a.on_hand, a.reserved,
            a.available_to_promise, a.safety_buffer_units, a.quantity_to_tell,
            a.listed_quantity, a.listing_gap, a.is_overselling, a.is_sold_out_with_stock,
            a.listed_as_of
        from fct_channel_availability as a
        left join dim_products as p using (sku)
        where (len($channels) = 0 or list_contains($channels, a.channel))
            and (len($locations) = 0 or list_contains($locations, a.location_id))
            and (len($categories) = 0 or list_contains($categories, p.category))
            and (not $only_differing or a.listed_quantity is distinct from a.quantity_to_tell)
        order by a.is_overselling desc, a.is_sold_out_with_stock desc,
            abs(coalesce(a.listing_gap, 0)) desc, a.channel, a.sku
        """,
        {
            "channels": _list(channels),
            "locations": _list(locations),
            "categories": _list(categories),
            "only_differing": only_differing,
        },
    )


# --- demand -----------------------------------------------------------------------------------

# Over agg_demand_channel_daily (the page never asks for a location: half fct_demand_daily's
# rows), and categories through a semi-join rather than a join with dim_products: with none
# chosen (the default) DuckDB then reads the demand alone. At the large tier each step took
# about a third off the page's sums.
_DEMAND_FILTER: Final = """
    (len($channels) = 0 or list_contains($channels, d.channel))
    and (
        len($categories) = 0
        or d.sku in (select sku from dim_products where list_contains($categories, category))
    )
    and ($sku = '' or d.sku = $sku)
    and d.demand_date between $start and $end
"""


def _demand_params(
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    sku: str,
    start: date,
    end: date,
) -> dict[str, Any]:
    return {
        "channels": _list(channels),
        "categories": _list(categories),
        "sku": sku,
        "start": start,
        "end": end,
    }


@st.cache_data(ttl=TTL, show_spinner=False)
def demand_history(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    sku: str,
    start: date,
    end: date,
) -> pl.DataFrame:
    """Units sold and estimated demand (lost sales added back) per day."""
    return _frame(
        snap,
        f"""
        select
            d.demand_date as day,
            sum(d.units_sold) as units_sold,
            sum(d.demand_units_estimated) as demand_units_estimated,
            sum(d.lost_units_estimated) as lost_units_estimated
        from agg_demand_channel_daily as d
        where {_DEMAND_FILTER}
        group by all
        order by day
        """,
        _demand_params(channels, categories, sku, start, end),
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def demand_sellers(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    start: date,
    end: date,
) -> pl.DataFrame:
    """Units and days out of stock per SKU in the period, best sellers first."""
    return _frame(
        snap,
        f"""
        with per_sku as (
            select
                d.sku,
                sum(d.units_sold) as units_sold,
                sum(d.lost_units_estimated) as lost_units_estimated,
                sum(d.stockout_days) as stockout_days
            from agg_demand_channel_daily as d
            where {_DEMAND_FILTER}
            group by d.sku
        )
        select s.sku, p.title, p.category, s.units_sold, s.lost_units_estimated, s.stockout_days
        from per_sku as s
        left join dim_products as p using (sku)
        order by s.units_sold desc, s.sku
        """,
        _demand_params(channels, categories, "", start, end),
    )


def demand_weekday(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    sku: str,
    start: date,
    end: date,
) -> pl.DataFrame:
    """Average units sold per day of the week (ISO: 1 = Monday), over demand_history's daily
    totals: the page has asked for them already, so this reads its cached answer rather than
    scanning the demand again."""
    history = demand_history(
        snap, channels=channels, categories=categories, sku=sku, start=start, end=end
    )
    return (
        history.group_by(pl.col("day").dt.weekday().alias("weekday_number"))
        .agg(
            pl.col("day").first().dt.strftime("%a").alias("weekday"),
            pl.col("units_sold").cast(pl.Float64).mean().alias("avg_units_sold"),
        )
        .sort("weekday_number")
    )


FORECAST_QUANTILES: Final = ("demand_p50", "demand_p80", "demand_p90", "demand_p95")


@st.cache_data(ttl=TTL, show_spinner=False)
def demand_forecast(
    snap: Snapshot,
    *,
    categories: Sequence[str] | None,
    sku: str,
) -> pl.DataFrame:
    """Daily forecast of demand (sold + lost, every channel) summed over the SKUs chosen: the
    mean and the per-SKU quantiles added up (for one SKU they are its quantiles; for many, the
    sum is wider than the total's own quantile would be). Empty when forecasts are not built."""
    if "fct_demand_forecast" not in tables(snap):
        return pl.DataFrame()
    quantiles = "".join(f", sum(f.{q}) as {q}" for q in FORECAST_QUANTILES)
    return _frame(
        snap,
        f"""
        select
            f.forecast_date as day,
            sum(f.demand_mean) as demand_mean{quantiles},
            count(*) as skus,  -- a SKU's day is one row (forecast_key is sku:date, unique)
            string_agg(distinct f.forecast_model, ', ') as models
        from fct_demand_forecast as f
        where (len($categories) = 0 or list_contains($categories, f.category))
            and ($sku = '' or f.sku = $sku)
        group by f.forecast_date
        order by day
        """,
        {"categories": _list(categories), "sku": sku},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def forecast_accuracy(snap: Snapshot, *, sku: str = "") -> pl.DataFrame:
    """Backtest accuracy (WAPE, MASE) against seasonal naive: the overall row, then per SKU."""
    if "fct_forecast_accuracy" not in tables(snap):
        return pl.DataFrame()
    return _frame(
        snap,
        """
        select * from fct_forecast_accuracy
        where $sku = '' or sku = $sku or scope = 'overall'
        order by scope = 'overall' desc, actual_units desc
        limit $limit
        """,
        {"sku": sku, "limit": LIMIT},
    )


# --- reorder ----------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def reorder_signals(
    snap: Snapshot,
    *,
    warehouses: Sequence[str] | None,
    suppliers: Sequence[str] | None,
    only_needed: bool = True,
) -> pl.DataFrame:
    """Reorder suggestions, most urgent first, with every number that produced them."""
    return _frame(
        snap,
        """
        select r.urgency_rank, r.sku, p.title, p.category, r.warehouse_id, r.supplier_id,
            p.supplier_name, r.suggested_quantity, r.suggested_value_jpy, r.days_of_cover,
            r.* exclude (urgency_rank, sku, warehouse_id, supplier_id, suggested_quantity,
                         suggested_value_jpy, days_of_cover)
        from fct_reorder_signals as r
        left join dim_products as p using (sku)
        where (len($warehouses) = 0 or list_contains($warehouses, r.warehouse_id))
            and (len($suppliers) = 0 or list_contains($suppliers, r.supplier_id))
            and (not $only_needed or r.needs_reorder)
        order by r.urgency_rank nulls last, r.days_of_cover nulls last, r.sku, r.warehouse_id
        """,
        {
            "warehouses": _list(warehouses),
            "suppliers": _list(suppliers),
            "only_needed": only_needed,
        },
    )


# --- returns ----------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def return_rates(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    min_units: int = 0,
) -> pl.DataFrame:
    """Per SKU and channel over every reason, with an outlier flag.

    An outlier returns clearly more than its category on the same channel: its rate is above
    the category's mean by more than two standard deviations (and the SKU sold enough to say).
    """
    return _frame(
        snap,
        """
        with rates as (
            select * from fct_return_rates
            where reason = 'all'
                and (len($channels) = 0 or list_contains($channels, channel))
                and (len($categories) = 0 or list_contains($categories, category))
                and units_sold >= $min_units
        ),
        stats as (
            select
                *,
                avg(return_rate) over (partition by category, channel) as category_rate,
                stddev_pop(return_rate) over (partition by category, channel) as category_sd
            from rates
        )
        select
            sku, category, channel, units_sold, units_returned, return_rate, refunded_jpy,
            category_rate,
            coalesce(return_rate > category_rate + 2 * category_sd and units_returned >= 2, false)
                as is_outlier
        from stats
        order by is_outlier desc, return_rate desc nulls last, units_sold desc
        """,
        {"channels": _list(channels), "categories": _list(categories), "min_units": min_units},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def return_totals(snap: Snapshot, *, channels: Sequence[str] | None) -> pl.DataFrame:
    """Units sold and returned over every SKU and reason (one row): the Overview's return
    rate, without the per-SKU statistics `return_rates` adds."""
    return _frame(
        snap,
        """
        select
            coalesce(sum(units_sold), 0) as units_sold,
            coalesce(sum(units_returned), 0) as units_returned
        from fct_return_rates
        where reason = 'all' and (len($channels) = 0 or list_contains($channels, channel))
        """,
        {"channels": _list(channels)},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def returns_by_reason(
    snap: Snapshot, *, channels: Sequence[str] | None, categories: Sequence[str] | None
) -> pl.DataFrame:
    return _frame(
        snap,
        """
        select channel, reason, sum(units_returned) as units_returned,
            sum(refunded_jpy) as refunded_jpy
        from fct_return_rates
        where reason <> 'all'
            and (len($channels) = 0 or list_contains($channels, channel))
            and (len($categories) = 0 or list_contains($categories, category))
        group by all
        order by units_returned desc
        """,
        {"channels": _list(channels), "categories": _list(categories)},
    )


# --- data health: files beside the snapshot ---------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def load_manifests(root: str) -> pl.DataFrame:
    """Every completed load (landing/<channel>/<entity>/_loads/*.json), newest first.

    `root` is the data directory (`data_root()`); it is an argument so that it keys the cache.
    """
    base = Path(root)
    rows: list[dict[str, Any]] = []
    for path in sorted((base / "landing").glob("*/*/_loads/*.json")):
        try:
            manifest = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue  # a manifest is renamed into place whole; an unreadable one is skipped
        checks = manifest.get("checks") or []
        rows.append(
            {
                "channel": manifest.get("channel", path.parts[-4]),
                "entity": manifest.get("entity", path.parts[-3]),
                "load_id": manifest.get("load_id", path.stem),
                "started_at": manifest.get("started_at"),
                "finished_at": manifest.get("finished_at"),
                "records": int(manifest.get("records") or 0),
                "accepted": int(manifest.get("accepted") or 0),
                "quarantined": int(manifest.get("quarantined") or 0),
                "checks": len(checks),
                "checks_failed": sum(1 for c in checks if not c.get("success", True)),
                "failed_expectations": "; ".join(
                    str(c.get("expectation")) for c in checks if not c.get("success", True)
                ),
                "max_record_updated_at": manifest.get("max_record_updated_at"),
                "source": manifest.get("source"),
            }
        )
    schema = {
        "channel": pl.String,
        "entity": pl.String,
        "load_id": pl.String,
        "started_at": pl.String,
        "finished_at": pl.String,
        "records": pl.Int64,
        "accepted": pl.Int64,
        "quarantined": pl.Int64,
        "checks": pl.Int64,
        "checks_failed": pl.Int64,
        "failed_expectations": pl.String,
        "max_record_updated_at": pl.String,
        "source": pl.String,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(
        pl.col("started_at", "finished_at").str.to_datetime(time_zone="UTC", strict=False)
    ).sort("finished_at", descending=True, nulls_last=True)


_QUARANTINE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "channel": pl.String(),
    "entity": pl.String(),
    "load_id": pl.String(),
    "loaded_at": pl.Datetime("us", "UTC"),
    "record_key": pl.String(),
    "reasons": pl.String(),
    "raw": pl.String(),
}


@st.cache_data(ttl=TTL, show_spinner=False)
def quarantine(root: str, *, limit: int = LIMIT) -> pl.DataFrame:
    """Quarantined records (quarantine/<channel>/<entity>/*.parquet) with their reasons."""
    base = Path(root)
    frames: list[pl.DataFrame] = []
    for entity_dir in sorted(p for p in (base / "quarantine").glob("*/*") if p.is_dir()):
        files = sorted(entity_dir.glob("[!.]*.parquet"))
        if not files:
            continue
        try:
            frame = pl.read_parquet(
                files, columns=["_load_id", "_loaded_at", "_record_key", "_raw", "_reasons"]
            )
        except (OSError, pl.exceptions.PolarsError):
            continue
        frames.append(
            frame.select(
                pl.lit(entity_dir.parent.name).alias("channel"),
                pl.lit(entity_dir.name).alias("entity"),
                pl.col("_load_id").alias("load_id"),
                pl.col("_loaded_at").cast(pl.Datetime("us", "UTC")).alias("loaded_at"),
                pl.col("_record_key").alias("record_key"),
                pl.col("_reasons").list.join("; ").alias("reasons"),
                pl.col("_raw").alias("raw"),
            )
        )
    if not frames:
        return pl.DataFrame(schema=_QUARANTINE_SCHEMA)
    return pl.concat(frames).sort("loaded_at", descending=True).head(limit)

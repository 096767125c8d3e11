"""The Orders page's queries: the order list, open orders first in the order they should be
worked on, the count per status, and one order with its lines, returns and history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

import polars as pl
import streamlit as st

from ichigen.app.data.connection import _ORDER_FILTER, LIMIT, TTL, Snapshot, _frame, _list, _period

__all__ = ["CLOSED_STATUSES", "OPEN_STATUSES", "order_detail", "order_status_counts", "orders"]

OPEN_STATUSES: Final = (
    "on_hold_for_review",
    "awaiting_payment",
    "preorder_awaiting_release",
    "awaiting_stock",
    "ready_to_ship",
)
CLOSED_STATUSES: Final = ("shipped", "delivered", "returned", "cancelled")


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

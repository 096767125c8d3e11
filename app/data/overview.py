"""The Overview page's queries: revenue, orders and units per channel and week, stock-outs
and the return rate, over a period and a choice of channels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
import streamlit as st

from ichigen.app.data.connection import _ORDER_FILTER, TTL, Snapshot, _frame, _list, _period

__all__ = ["overview_by_channel", "overview_trend", "return_totals", "stockouts_by_channel"]


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

"""The Returns page's queries: return rates per SKU and channel with outliers flagged, and
units returned per reason."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

from ichigen.app.data.connection import TTL, Snapshot, _frame, _list

__all__ = ["orders_with_unobserved_returns", "return_rates", "returns_by_reason"]


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


@st.cache_data(ttl=TTL, show_spinner=False)
def orders_with_unobserved_returns(snap: Snapshot, *, channels: Sequence[str] | None) -> int:
    """Orders partly returned before ichigen first landed them (fct_orders'
    has_unobserved_returns): the channel rewrote them in place and keeps no record of what came
    back (Rakuten RMS), so their returns are missing from every rate."""
    counted = _frame(
        snap,
        """
        select count(*) as orders from fct_orders
        where has_unobserved_returns
            and (len($channels) = 0 or list_contains($channels, channel))
        """,
        {"channels": _list(channels)},
    )
    return int(counted["orders"][0])

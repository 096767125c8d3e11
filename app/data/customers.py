"""The Customers page's queries: customers and channel mix, RFM segments, cohorts, and one
customer's identities and profile.

The snapshot holds personal data masked; the queries that show it take the signed-in `role`,
and answer in the clear only when that role may see personal data
(`ichigen.app.data.connection`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl
import streamlit as st

from ichigen.app.data.connection import LIMIT, TTL, Snapshot, _frame, _list, columns, tables
from ichigen.customer_views import CHANNEL_MIX, COHORTS, CUSTOMER_ORDERS, selection_key
from ichigen.ops.roles import Role

__all__ = [
    "cohorts",
    "customer_identities",
    "customer_on_several_channels",
    "customer_profile",
    "customer_segments",
    "customer_summary",
    "customers_in_segment",
    "rfm_segments",
]


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
    snap: Snapshot, *, channels: Sequence[str] | None, segment: str, role: Role | None = None
) -> pl.DataFrame:
    """dim_customers rows of one segment, best customers first (personal data in the clear
    only if `role` may see it)."""
    return _frame(
        snap,
        f"""
        select * from dim_customers
        where {_DIM_CUSTOMER_FILTER} and rfm_segment = $segment
        order by revenue_jpy desc, customer_id
        limit $limit
        """,
        {"channels": _list(channels), "segment": segment, "limit": LIMIT},
        role=role,
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
def customer_identities(
    snap: Snapshot, customer_id: str, *, role: Role | None = None
) -> pl.DataFrame:
    """The channel identities merged into one customer, with the rule that joined each (their
    e-mail identifiers in the clear only if `role` may see personal data)."""
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
        role=role,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_profile(snap: Snapshot, customer_id: str, *, role: Role | None = None) -> pl.DataFrame:
    """The customer's row in dim_customers (personal data in the clear only if `role` may see
    it)."""
    if "dim_customers" not in tables(snap):
        return pl.DataFrame()
    return _frame(
        snap,
        "select * from dim_customers where customer_id = $customer_id",
        {"customer_id": customer_id},
        role=role,
    )

"""The Inventory page's queries: stock per SKU and location, and what each channel shows
against what it should be told."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

from ichigen.app.data.connection import TTL, Snapshot, _frame, _list

__all__ = ["availability", "inventory"]


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

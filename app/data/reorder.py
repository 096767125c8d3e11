"""The Reorder page's queries: the suppliers to choose from and the reorder suggestions, most
urgent first, with every number that produced them."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

from ichigen.app.data.connection import TTL, Snapshot, _frame, _list

__all__ = ["reorder_signals", "suppliers"]


@st.cache_data(ttl=TTL, show_spinner=False)
def suppliers(snap: Snapshot) -> list[str]:
    frame = _frame(snap, "select distinct supplier_id from dim_products order by 1")
    return frame["supplier_id"].to_list()


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

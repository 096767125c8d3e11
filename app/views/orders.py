"""Orders: every channel's orders in one list, sorted by what to work on next, and one order's
full history."""

from __future__ import annotations

import altair as alt
import streamlit as st

from ichigen.app import ui
from ichigen.app.data import connection, orders

st.title("Orders")
snap = ui.require_snapshot("fct_orders")

f1, f2, f3 = st.columns([1, 1, 1])
with f1:
    start, end = ui.period_filter(snap, key="orders_period", default_days=30)
with f2:
    channels = ui.multiselect_filter("Channels", connection.channels(snap), key="orders_channels")
with f3:
    statuses = ui.multiselect_filter(
        "Status", [*orders.OPEN_STATUSES[::-1], *orders.CLOSED_STATUSES], key="orders_statuses"
    )
search = st.text_input("Search order id or name", key="orders_search")

counts = orders.order_status_counts(snap, channels=channels, start=start, end=end)
if counts.is_empty():
    st.info("No orders in this period and channel selection.")
    st.stop()

open_counts = counts.filter(counts["is_open"])
cols = st.columns(len(orders.OPEN_STATUSES))
for col, status in zip(cols, orders.OPEN_STATUSES[::-1], strict=True):
    n = int(open_counts.filter(open_counts["order_status"] == status)["orders"].sum() or 0)
    col.metric(status.replace("_", " ").capitalize(), f"{n:,}")

st.altair_chart(
    alt.Chart(counts)
    .mark_bar()
    .encode(
        x=alt.X("orders:Q", title="Orders"),
        y=alt.Y(
            "order_status:N",
            sort=[*orders.OPEN_STATUSES[::-1], *orders.CLOSED_STATUSES],
            title=None,
        ),
        color=alt.Color("is_open:N", title="Open"),
        tooltip=["order_status:N", "orders:Q"],
    )
    .properties(height=220),
    width="stretch",
)

with st.spinner("Loading orders ..."):
    listing = orders.orders(
        snap, channels=channels, start=start, end=end, statuses=statuses, search=search
    )
st.subheader(f"Orders ({listing.height:,}{'+' if listing.height >= connection.LIMIT else ''})")
if listing.is_empty():
    st.info("No orders match these filters.")
    st.stop()
st.dataframe(listing, hide_index=True, key="orders_table")
if st.button("Prepare CSV of every matching order", key="orders_prepare_csv"):
    with st.spinner("Collecting every matching order ..."):
        everything = orders.orders(
            snap,
            channels=channels,
            start=start,
            end=end,
            statuses=statuses,
            search=search,
            limit=None,
        )
    ui.download_table(everything, name="orders", key="orders_download")

st.subheader("Order history")
order_key = st.selectbox("Order", listing["order_key"].to_list(), key="orders_selected", index=0)
if order_key:
    detail = orders.order_detail(snap, order_key)
    order = detail["order"]
    if order.is_empty():
        st.warning(f"{order_key} is not in the snapshot any more.")
    else:
        row = order.row(0, named=True)
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Status", str(row["order_status"]).replace("_", " "))
        c2.metric("Total", ui.yen(row["total_jpy"]))
        c3.metric("Refunded", ui.yen(row["refunded_jpy"]))
        c4.metric("Units", f"{row['units'] or 0:,}")
        st.caption(
            f"{row['channel']} order {row['channel_order_id']} · location {row['location_id']} · "
            f"channel status {row['channel_status']} · payment {row['payment_method']}"
        )
        if row.get("has_unobserved_returns"):
            st.warning(
                "Part of this order was returned before ichigen first landed it: the channel "
                "rewrote the order and keeps no record of what came back, so its total, "
                "quantities and returns are low by what was returned then."
            )
        st.markdown("**What happened**")
        st.dataframe(detail["history"], hide_index=True, key="orders_history")
        st.markdown("**Lines**")
        st.dataframe(detail["lines"], hide_index=True, key="orders_lines")
        if not detail["returns"].is_empty():
            st.markdown("**Returns**")
            st.dataframe(detail["returns"], hide_index=True, key="orders_returns")

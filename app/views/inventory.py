"""Inventory: stock per SKU, location and channel; available to promise; what each channel is
told against what it should be told; oversell risk; pushing the right quantities out."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import actions, ui
from ichigen.app.data import connection, inventory
from ichigen.app.roles import current_user
from ichigen.ops import OpsError, Permission
from ichigen.ops.stock_pushes import (
    CHANNELS,
    list_stock_pushes,
    preview_by_channel,
    preview_stock_push,
    record_stock_push,
    stock_pushes_that_differ,
)

st.title("Inventory")
snap = ui.require_snapshot("fct_inventory", "dim_products")
user = current_user()

locations = connection.locations(snap)
f1, f2, f3 = st.columns(3)
with f1:
    chosen_locations = ui.multiselect_filter(
        "Locations", locations["location_id"].to_list(), key="inventory_locations"
    )
with f2:
    chosen_categories = ui.multiselect_filter(
        "Categories", connection.categories(snap), key="inventory_categories"
    )
with f3:
    search = st.text_input("SKU or title", key="inventory_search")

stock = inventory.inventory(
    snap, locations=chosen_locations, categories=chosen_categories, search=search
)
has_availability = "fct_channel_availability" in connection.tables(snap)
listings = (
    inventory.availability(
        snap, channels=[], locations=chosen_locations, categories=chosen_categories
    )
    if has_availability
    else pl.DataFrame()
)
if stock.is_empty():
    st.info("No stock matches these filters (or none has been reported yet).")
    st.stop()

c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("SKUs", f"{stock['sku'].n_unique():,}")
c2.metric("On hand", f"{int(stock['on_hand'].sum()):,}")
c3.metric("Available to promise", f"{int(stock['available_to_promise'].sum()):,}")
if listings.is_empty():
    c4.metric("Overselling listings", "–")
    c5.metric("Sold out with stock", "–")
else:
    c4.metric(
        "Overselling listings",
        f"{int(listings['is_overselling'].sum()):,}",
        help="Channels showing more than can be promised at the location they sell from.",
    )
    c5.metric("Sold out with stock", f"{int(listings['is_sold_out_with_stock'].sum()):,}")

tab_stock, tab_channels, tab_risk, tab_push = st.tabs(
    ["Stock by location", "Channels: told vs should be told", "Oversell risk", "Push stock"]
)

with tab_stock:
    per_location = stock.group_by("location_id").agg(
        pl.col("on_hand").sum(),
        pl.col("reserved").sum(),
        pl.col("available_to_promise").sum(),
        pl.col("in_transit").sum(),
        pl.col("on_order").sum(),
    )
    st.altair_chart(
        alt.Chart(
            per_location.unpivot(
                index="location_id",
                on=["available_to_promise", "reserved", "in_transit", "on_order"],
                variable_name="stock",
                value_name="units",
            )
        )
        .mark_bar()
        .encode(
            x=alt.X("units:Q", title="Units"),
            y=alt.Y("location_id:N", title=None),
            color=alt.Color("stock:N", title=None),
            tooltip=["location_id:N", "stock:N", "units:Q"],
        ),
        width="stretch",
    )
    st.dataframe(stock.head(connection.LIMIT), hide_index=True, key="inventory_stock_table")
    ui.download_table(stock, name="inventory", key="inventory_stock_download")

with tab_channels:
    if not ui.table_ready(snap, "fct_channel_availability", "Channel availability"):
        pass
    else:
        only_differing = st.toggle(
            "Only listings that differ", value=True, key="inventory_only_differing"
        )
        shown = (
            listings.filter(
                pl.col("listed_quantity").is_null()
                | (pl.col("listed_quantity") != pl.col("quantity_to_tell"))
            )
            if only_differing
            else listings
        )
        st.caption(
            "quantity_to_tell = available to promise at the location − the channel's safety "
            "buffer; listing_gap = quantity_to_tell − what the channel shows."
        )
        st.altair_chart(
            alt.Chart(shown.head(2000))
            .mark_circle()
            .encode(
                x=alt.X("quantity_to_tell:Q", title="Should be told"),
                y=alt.Y("listed_quantity:Q", title="Told now"),
                color=alt.Color("channel:N"),
                tooltip=[
                    "channel:N",
                    "location_id:N",
                    "sku:N",
                    "listed_quantity:Q",
                    "quantity_to_tell:Q",
                ],
            ),
            width="stretch",
        )
        st.dataframe(shown, hide_index=True, key="inventory_channels_table")
        ui.download_table(shown, name="channel_availability", key="inventory_channels_download")

with tab_risk:
    if listings.is_empty():
        st.info("Channel availability: not built yet (fct_channel_availability).")
    else:
        risk = listings.filter(pl.col("is_overselling") | pl.col("is_sold_out_with_stock"))
        if risk.is_empty():
            st.success("No channel oversells or shows sold out while stock exists.")
        else:
            st.dataframe(risk, hide_index=True, key="inventory_risk_table")
            ui.download_table(risk, name="oversell_risk", key="inventory_risk_download")

with tab_push:
    may_push = user.may(Permission.PUSH_STOCK)
    if not may_push:
        st.warning(
            f"{user.name} ({user.role.value}) may look but not push stock: that needs the "
            "buyer or admin role."
        )
    if listings.is_empty():
        st.info("Nothing to push: channel availability is not built yet.")
    else:
        differing = stock_pushes_that_differ(listings)
        scope = st.radio(
            "What to push",
            ["All that differ", "Chosen SKUs"],
            horizontal=True,
            key="inventory_push_scope",
        )
        if scope == "Chosen SKUs":
            skus = st.multiselect(
                "SKUs",
                sorted(listings["sku"].drop_nulls().unique().to_list()),
                key="inventory_push_skus",
            )
            channels = st.multiselect(
                "Channels", list(CHANNELS), key="inventory_push_channels", placeholder="All"
            )
            chosen = listings.filter(
                pl.col("sku").is_in(skus)
                & (pl.col("channel").is_in(channels) if channels else pl.lit(True))
            )
            preview = preview_stock_push(chosen)
        else:
            preview = differing
        if preview.is_empty():
            st.success("Every channel already shows what it should: nothing to push.")
        else:
            st.markdown(f"**Preview: {preview.height:,} listing(s)**")
            st.dataframe(preview_by_channel(preview), hide_index=True, key="inventory_push_summary")
            with st.expander("Every listing in the push"):
                st.dataframe(preview, hide_index=True, key="inventory_push_preview")
            if st.button(
                f"Confirm: push {preview.height:,} absolute quantities",
                type="primary",
                disabled=not may_push,
                key="inventory_push_confirm",
            ):
                try:
                    ids = record_stock_push(
                        actions.ops_store(), preview, user=user.name, role=user.role
                    )
                except OpsError as exc:
                    st.error(str(exc))
                else:
                    st.success(f"Recorded {len(ids):,} push(es) in the outbox.")
                    with st.spinner("Sending to the channels ..."):
                        outcome = actions.send_now(ids)
                    (st.success if outcome.sent else st.info)(outcome.message)

    st.markdown("**Recent stock pushes**")
    pushes = list_stock_pushes(actions.ops_store(), limit=500)
    if pushes.is_empty():
        st.caption("No stock pushes recorded yet.")
    else:
        st.dataframe(pushes, hide_index=True, key="inventory_pushes_table")
        ui.download_table(pushes, name="stock_pushes", key="inventory_pushes_download")

"""Overview: revenue, orders, units, return rate and stockouts by channel, with the trend; first,
a warning naming each channel and entity whose data is incomplete or stale, since its figures
here would be short without saying so."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import ui
from ichigen.app.data import connection, data_health, overview

st.title("Overview")
# before the orders are needed: a channel that never landed is worth a warning on its own
warning = data_health.completeness_warning(
    data_health.completeness(connection.snapshot()), now=datetime.now(UTC)
)
if warning:
    st.warning(
        f"{warning}\n\nData health lists each failure with its cause and fix.",
        icon=":material/warning:",
    )
snap = ui.require_snapshot("fct_orders")

left, right = st.columns([1, 2])
with left:
    start, end = ui.period_filter(snap, key="overview_period")
with right:
    channels = ui.multiselect_filter("Channels", connection.channels(snap), key="overview_channels")

with st.spinner("Adding up the period ..."):
    by_channel = overview.overview_by_channel(snap, channels=channels, start=start, end=end)
    trend = overview.overview_trend(snap, channels=channels, start=start, end=end)

if by_channel.is_empty():
    st.info("No orders in this period and channel selection.")
    st.stop()

stockouts = (
    overview.stockouts_by_channel(snap, channels=channels, start=start, end=end)
    if "agg_demand_channel_daily" in connection.tables(snap)
    else pl.DataFrame(schema={"channel": pl.String, "stockout_days": pl.Int64})
)
rates = (
    overview.return_totals(snap, channels=channels)
    if "fct_return_rates" in connection.tables(snap)
    else pl.DataFrame(schema={"units_sold": pl.Int64, "units_returned": pl.Int64})
)
units_sold = int(rates["units_sold"].sum() or 0)
return_rate = (int(rates["units_returned"].sum() or 0) / units_sold) if units_sold else None

cols = st.columns(5)
cols[0].metric("Revenue (net of refunds)", ui.yen(int(by_channel["revenue_jpy"].sum())))
cols[1].metric("Orders", f"{int(by_channel['orders'].sum()):,}")
cols[2].metric("Units", f"{int(by_channel['units'].sum()):,}")
cols[3].metric(
    "Return rate",
    "–" if return_rate is None else f"{return_rate:.1%}",
    help="Units returned over units sold, on orders old enough for their returns to arrive.",
)
cols[4].metric(
    "Stockout days",
    f"{int(stockouts['stockout_days'].sum() or 0):,}",
    help="SKU-location days that looked out of stock in the period.",
)

st.subheader("Trend")
measure = (
    st.segmented_control(
        "Measure",
        ["revenue_jpy", "orders", "units"],
        default="revenue_jpy",
        format_func=lambda m: {"revenue_jpy": "Revenue", "orders": "Orders", "units": "Units"}[m],
        key="overview_measure",
    )
    or "revenue_jpy"
)
st.altair_chart(
    alt.Chart(trend)
    .mark_line(point=True)
    .encode(
        x=alt.X("week:T", title="Week"),
        y=alt.Y(f"{measure}:Q", title=measure.replace("_jpy", " (JPY)").capitalize()),
        color=alt.Color("channel:N", title="Channel"),
        tooltip=["week:T", "channel:N", "orders:Q", "units:Q", "revenue_jpy:Q"],
    ),
    width="stretch",
)

st.subheader("By channel")
table = by_channel.join(stockouts, on="channel", how="left")
st.altair_chart(
    alt.Chart(by_channel)
    .mark_bar()
    .encode(
        x=alt.X("revenue_jpy:Q", title="Revenue (JPY)"),
        y=alt.Y("channel:N", sort="-x", title=None),
        tooltip=["channel:N", "orders:Q", "units:Q", "revenue_jpy:Q"],
    ),
    width="stretch",
)
st.dataframe(table, hide_index=True, key="overview_table")
ui.download_table(table, name="overview_by_channel", key="overview_download")

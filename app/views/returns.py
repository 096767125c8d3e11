"""Returns: return rates by SKU, category, channel and reason, outliers first."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import ui
from ichigen.app.data import connection, returns

st.title("Returns")
snap = ui.require_snapshot("fct_return_rates")

f1, f2, f3 = st.columns([2, 2, 1])
with f1:
    channels = ui.multiselect_filter("Channels", connection.channels(snap), key="returns_channels")
with f2:
    categories = ui.multiselect_filter(
        "Categories", connection.categories(snap), key="returns_categories"
    )
with f3:
    min_units = int(
        st.number_input(
            "At least units sold", min_value=0, value=5, step=5, key="returns_min_units"
        )
    )

rates = returns.return_rates(snap, channels=channels, categories=categories, min_units=min_units)
if rates.is_empty():
    st.info("No sales old enough for returns match these filters yet.")
    st.stop()

sold = int(rates["units_sold"].sum() or 0)
returned = int(rates["units_returned"].sum() or 0)
outliers = rates.filter(rates["is_outlier"])
c1, c2, c3 = st.columns(3)
c1.metric("Return rate", f"{returned / sold:.1%}" if sold else "–")
c2.metric("Units returned", f"{returned:,}")
c3.metric(
    "Outliers",
    f"{outliers.height:,}",
    help="SKUs returned far more often than their category on the same channel "
    "(more than two standard deviations above its mean, and at least two returns).",
)
st.caption(
    "Counted over orders delivered at least the return window before the latest order, "
    "so their returns have had time to arrive."
)
unobserved = returns.orders_with_unobserved_returns(snap, channels=channels)
if unobserved:
    st.warning(
        f"{unobserved:,} orders were partly returned before ichigen first landed them: the "
        "channel rewrote them and keeps no record of what came back (Rakuten RMS), so those "
        "returns are missing from these rates. Pulling more often than the channel's "
        "returns arrive prevents it (README, channel notes)."
    )

st.subheader("By channel and reason")
reasons = returns.returns_by_reason(snap, channels=channels, categories=categories)
st.altair_chart(
    alt.Chart(reasons)
    .mark_bar()
    .encode(
        x=alt.X("units_returned:Q", title="Units returned"),
        y=alt.Y("channel:N", title=None),
        color=alt.Color("reason:N", title="Reason"),
        tooltip=["channel:N", "reason:N", "units_returned:Q", "refunded_jpy:Q"],
    ),
    width="stretch",
)

st.subheader("By SKU")
st.altair_chart(
    alt.Chart(rates)
    .mark_circle(size=60)
    .encode(
        x=alt.X("units_sold:Q", title="Units sold", scale=alt.Scale(type="log")),
        y=alt.Y("return_rate:Q", title="Return rate", axis=alt.Axis(format="%")),
        color=alt.Color(
            "is_outlier:N",
            title="Outlier",
            scale=alt.Scale(domain=[False, True], range=["#9ab", "#d62728"]),
        ),
        tooltip=["sku:N", "channel:N", "units_sold:Q", "units_returned:Q", "return_rate:Q"],
    ),
    width="stretch",
)
st.dataframe(
    rates,
    hide_index=True,
    key="returns_table",
    column_config={
        "return_rate": st.column_config.NumberColumn("Return rate", format="percent"),
        "category_rate": st.column_config.NumberColumn("Category rate", format="percent"),
        "is_outlier": st.column_config.CheckboxColumn("Outlier"),
    },
)
ui.download_table(rates, name="return_rates", key="returns_download")

st.subheader("By category")
by_category = (
    rates.group_by("category", "channel")
    .agg(pl.col("units_sold").sum(), pl.col("units_returned").sum())
    .with_columns(return_rate=pl.col("units_returned") / pl.col("units_sold"))
    .sort("return_rate", descending=True, nulls_last=True)
)
st.dataframe(
    by_category,
    hide_index=True,
    key="returns_by_category",
    column_config={"return_rate": st.column_config.NumberColumn("Return rate", format="percent")},
)

"""Demand: history and forecast per SKU, category and channel, forecast accuracy, best and
worst sellers, seasonality."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app import data, ui

st.title("Demand")
snap = ui.require_snapshot("fct_demand_daily", "dim_products")

f1, f2, f3 = st.columns(3)
with f1:
    start, end = ui.period_filter(
        snap, key="demand_period", table="fct_demand_daily", default_days=180
    )
with f2:
    channels = ui.multiselect_filter("Channels", data.channels(snap), key="demand_channels")
with f3:
    categories = ui.multiselect_filter("Categories", data.categories(snap), key="demand_categories")

with st.spinner("Adding up demand ..."):
    sellers = data.demand_sellers(
        snap, channels=channels, categories=categories, start=start, end=end
    )
if sellers.is_empty():
    st.info("No sales in this period and selection.")
    st.stop()
sku = st.selectbox(
    "SKU",
    ["", *sellers["sku"].to_list()],
    key="demand_sku",
    format_func=lambda s: s or "All SKUs",
)

history = data.demand_history(
    snap, channels=channels, categories=categories, sku=sku, start=start, end=end
)
c1, c2, c3 = st.columns(3)
c1.metric("Units sold", f"{int(history['units_sold'].sum()):,}")
c2.metric(
    "Lost sales (estimated)",
    f"{float(history['lost_units_estimated'].sum()):,.0f}",
    help="Units that would have sold on days the SKU looked out of stock.",
)
c3.metric("SKUs selling", f"{sellers.filter(pl.col('units_sold') > 0).height:,}")

st.subheader("History and forecast")
weekly = (
    history.with_columns(week=pl.col("day").dt.truncate("1w"))
    .group_by("week")
    .agg(pl.col("units_sold").sum(), pl.col("demand_units_estimated").sum())
    .sort("week")
    .unpivot(index="week", variable_name="series", value_name="units")
)
layers: list[alt.Chart] = [
    alt.Chart(weekly)
    .mark_line()
    .encode(
        x=alt.X("week:T", title="Week"),
        y=alt.Y("units:Q", title="Units per week"),
        color=alt.Color("series:N", title=None),
        tooltip=["week:T", "series:N", alt.Tooltip("units:Q", format=",.0f")],
    )
]
forecast = data.demand_forecast(snap, channels=channels, categories=categories, sku=sku)
if forecast.is_empty():
    st.info(
        "Forecasts: not built yet (fct_demand_forecast is not in the snapshot); "
        "history is shown alone."
    )
else:
    fweekly = (
        forecast.with_columns(week=pl.col("day").cast(pl.Date).dt.truncate("1w"))
        .group_by("week")
        .agg(pl.all().exclude("day", "week").sum())
        .sort("week")
    )
    lo, hi = next(
        (
            (a, b)
            for a, b in (("lo_80", "hi_80"), ("lo_95", "hi_95"), ("lower", "upper"))
            if a in fweekly.columns and b in fweekly.columns
        ),
        (None, None),
    )
    if lo and hi:
        layers.append(
            alt.Chart(fweekly)
            .mark_area(opacity=0.25)
            .encode(x="week:T", y=alt.Y(f"{lo}:Q"), y2=alt.Y2(f"{hi}:Q"))
        )
    layers.append(
        alt.Chart(fweekly)
        .mark_line(strokeDash=[4, 3])
        .encode(x="week:T", y="forecast_units:Q", tooltip=["week:T", "forecast_units:Q"])
    )
st.altair_chart(alt.layer(*layers), width="stretch")
ui.download_table(history, name="demand_daily", key="demand_history_download")

accuracy = data.forecast_accuracy(snap)
st.subheader("Forecast accuracy")
if accuracy.is_empty():
    st.info("Forecast accuracy: not built yet (fct_forecast_accuracy is not in the snapshot).")
else:
    st.dataframe(accuracy, hide_index=True, key="demand_accuracy")
    ui.download_table(accuracy, name="forecast_accuracy", key="demand_accuracy_download")

st.subheader("Best and worst sellers")
best, worst = st.columns(2)
with best:
    st.markdown("**Best**")
    st.dataframe(sellers.head(10), hide_index=True, key="demand_best")
with worst:
    st.markdown("**Worst**")
    st.dataframe(sellers.sort("units_sold", "sku").head(10), hide_index=True, key="demand_worst")
ui.download_table(sellers, name="sellers", key="demand_sellers_download")

st.subheader("Seasonality")
weekday = data.demand_weekday(
    snap, channels=channels, categories=categories, sku=sku, start=start, end=end
)
monthly = (
    history.with_columns(month=pl.col("day").dt.truncate("1mo"))
    .group_by("month")
    .agg(pl.col("units_sold").sum())
    .sort("month")
)
s1, s2 = st.columns(2)
s1.altair_chart(
    alt.Chart(weekday)
    .mark_bar()
    .encode(
        x=alt.X("weekday:N", sort=weekday["weekday"].to_list(), title="Day of week"),
        y=alt.Y("avg_units_sold:Q", title="Average units per day"),
    ),
    width="stretch",
)
s2.altair_chart(
    alt.Chart(monthly)
    .mark_bar()
    .encode(
        x=alt.X("month:T", timeUnit="yearmonth", title="Month"),
        y=alt.Y("units_sold:Q", title="Units sold"),
    ),
    width="stretch",
)

"""Demand: history and forecast per SKU, category and channel, forecast accuracy, best and
worst sellers, seasonality."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import ui
from ichigen.app.data import connection, demand

st.title("Demand")
snap = ui.require_snapshot("agg_demand_channel_daily", "dim_products")

f1, f2, f3 = st.columns(3)
with f1:
    start, end = ui.period_filter(
        snap, key="demand_period", table="agg_demand_channel_daily", default_days=180
    )
with f2:
    channels = ui.multiselect_filter("Channels", connection.channels(snap), key="demand_channels")
with f3:
    categories = ui.multiselect_filter(
        "Categories", connection.categories(snap), key="demand_categories"
    )

with st.spinner("Adding up demand ..."):
    sellers = demand.demand_sellers(
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

history = demand.demand_history(
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
forecast = demand.demand_forecast(snap, categories=categories, sku=sku)
if forecast.is_empty():
    st.info(
        "Forecasts: not built yet (fct_demand_forecast is not in the snapshot); "
        "history is shown alone."
    )
else:
    fweekly = (
        forecast.with_columns(week=pl.col("day").dt.truncate("1w"))
        .group_by("week")
        .agg(pl.col("demand_mean", *demand.FORECAST_QUANTILES).sum())
        .sort("week")
    )
    layers.append(
        alt.Chart(fweekly)
        .mark_area(opacity=0.25, color="#f58518")
        .encode(
            x="week:T",
            y=alt.Y("demand_p50:Q"),
            y2=alt.Y2("demand_p95:Q"),
            tooltip=[
                "week:T",
                alt.Tooltip("demand_p50:Q", format=",.0f", title="median"),
                alt.Tooltip("demand_p95:Q", format=",.0f", title="95% quantile"),
            ],
        )
    )
    layers.append(
        alt.Chart(fweekly)
        .mark_line(strokeDash=[4, 3], color="#f58518")
        .encode(x="week:T", y="demand_mean:Q", tooltip=["week:T", "demand_mean:Q"])
    )
    models = ", ".join(sorted(set(", ".join(forecast["models"].drop_nulls()).split(", "))))
    st.caption(
        "Forecast (dashed: mean; band: median to 95% quantile) of demand on every channel, "
        f"sold plus lost to stock-outs; models: {models}."
        + ("" if sku else " Summed over SKUs, the band is wider than the total's own.")
    )
st.altair_chart(alt.layer(*layers), width="stretch")
ui.download_table(history, name="demand_daily", key="demand_history_download")
if not forecast.is_empty():
    ui.download_table(forecast, name="demand_forecast", key="demand_forecast_download")

st.subheader("Forecast accuracy")
accuracy = demand.forecast_accuracy(snap, sku=sku)
if accuracy.is_empty():
    st.info("Forecast accuracy: not built yet (fct_forecast_accuracy is not in the snapshot).")
else:
    overall = accuracy.filter(pl.col("scope") == "overall")
    if not overall.is_empty():
        row = overall.row(0, named=True)
        a1, a2, a3 = st.columns(3)
        a1.metric(
            "WAPE",
            "–" if row["wape"] is None else f"{row['wape']:.1%}",
            help="Weighted absolute percentage error of the backtest, every SKU.",
        )
        a2.metric(
            "WAPE of seasonal naive",
            "–" if row["wape_naive"] is None else f"{row['wape_naive']:.1%}",
        )
        a3.metric(
            "Error removed vs naive",
            "–" if row["wape_improvement"] is None else f"{row['wape_improvement']:.1%}",
        )
    per_sku = accuracy.filter(pl.col("scope") == "sku")
    if not per_sku.is_empty():
        st.altair_chart(
            alt.Chart(per_sku.head(1000))
            .mark_circle()
            .encode(
                x=alt.X("wape_naive:Q", title="WAPE, seasonal naive"),
                y=alt.Y("wape:Q", title="WAPE, forecast"),
                color=alt.Color("series_kind:N", title="Series"),
                tooltip=["sku:N", "series_kind:N", "wape:Q", "wape_naive:Q", "actual_units:Q"],
            ),
            width="stretch",
        )
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
weekday = demand.demand_weekday(
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

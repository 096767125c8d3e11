"""The Demand page's queries: units sold and estimated demand per day, best and worst sellers,
the weekday profile, the forecast and its backtest accuracy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import polars as pl
import streamlit as st

from ichigen.app.data.connection import LIMIT, TTL, Snapshot, _frame, _list, tables

__all__ = [
    "FORECAST_QUANTILES",
    "demand_forecast",
    "demand_history",
    "demand_sellers",
    "demand_weekday",
    "forecast_accuracy",
]


# Over agg_demand_channel_daily (the page never asks for a location: half fct_demand_daily's
# rows), and categories through a semi-join rather than a join with dim_products: with none
# chosen (the default) DuckDB then reads the demand alone. At the large tier each step took
# about a third off the page's sums.
_DEMAND_FILTER: Final = """
    (len($channels) = 0 or list_contains($channels, d.channel))
    and (
        len($categories) = 0
        or d.sku in (select sku from dim_products where list_contains($categories, category))
    )
    and ($sku = '' or d.sku = $sku)
    and d.demand_date between $start and $end
"""


def _demand_params(
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    sku: str,
    start: date,
    end: date,
) -> dict[str, Any]:
    return {
        "channels": _list(channels),
        "categories": _list(categories),
        "sku": sku,
        "start": start,
        "end": end,
    }


@st.cache_data(ttl=TTL, show_spinner=False)
def demand_history(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    sku: str,
    start: date,
    end: date,
) -> pl.DataFrame:
    """Units sold and estimated demand (lost sales added back) per day."""
    return _frame(
        snap,
        f"""
        select
            d.demand_date as day,
            sum(d.units_sold) as units_sold,
            sum(d.demand_units_estimated) as demand_units_estimated,
            sum(d.lost_units_estimated) as lost_units_estimated
        from agg_demand_channel_daily as d
        where {_DEMAND_FILTER}
        group by all
        order by day
        """,
        _demand_params(channels, categories, sku, start, end),
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def demand_sellers(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    start: date,
    end: date,
) -> pl.DataFrame:
    """Units and days out of stock per SKU in the period, best sellers first."""
    return _frame(
        snap,
        f"""
        with per_sku as (
            select
                d.sku,
                sum(d.units_sold) as units_sold,
                sum(d.lost_units_estimated) as lost_units_estimated,
                sum(d.stockout_days) as stockout_days
            from agg_demand_channel_daily as d
            where {_DEMAND_FILTER}
            group by d.sku
        )
        select s.sku, p.title, p.category, s.units_sold, s.lost_units_estimated, s.stockout_days
        from per_sku as s
        left join dim_products as p using (sku)
        order by s.units_sold desc, s.sku
        """,
        _demand_params(channels, categories, "", start, end),
    )


def demand_weekday(
    snap: Snapshot,
    *,
    channels: Sequence[str] | None,
    categories: Sequence[str] | None,
    sku: str,
    start: date,
    end: date,
) -> pl.DataFrame:
    """Average units sold per day of the week (ISO: 1 = Monday), over demand_history's daily
    totals: the page has asked for them already, so this reads its cached answer rather than
    scanning the demand again."""
    history = demand_history(
        snap, channels=channels, categories=categories, sku=sku, start=start, end=end
    )
    return (
        history.group_by(pl.col("day").dt.weekday().alias("weekday_number"))
        .agg(
            pl.col("day").first().dt.strftime("%a").alias("weekday"),
            pl.col("units_sold").cast(pl.Float64).mean().alias("avg_units_sold"),
        )
        .sort("weekday_number")
    )


FORECAST_QUANTILES: Final = ("demand_p50", "demand_p80", "demand_p90", "demand_p95")


@st.cache_data(ttl=TTL, show_spinner=False)
def demand_forecast(
    snap: Snapshot,
    *,
    categories: Sequence[str] | None,
    sku: str,
) -> pl.DataFrame:
    """Daily forecast of demand (sold + lost, every channel) summed over the SKUs chosen: the
    mean and the per-SKU quantiles added up (for one SKU they are its quantiles; for many, the
    sum is wider than the total's own quantile would be). Empty when forecasts are not built."""
    if "fct_demand_forecast" not in tables(snap):
        return pl.DataFrame()
    quantiles = "".join(f", sum(f.{q}) as {q}" for q in FORECAST_QUANTILES)
    return _frame(
        snap,
        f"""
        select
            f.forecast_date as day,
            sum(f.demand_mean) as demand_mean{quantiles},
            count(*) as skus,  -- a SKU's day is one row (forecast_key is sku:date, unique)
            string_agg(distinct f.forecast_model, ', ') as models
        from fct_demand_forecast as f
        where (len($categories) = 0 or list_contains($categories, f.category))
            and ($sku = '' or f.sku = $sku)
        group by f.forecast_date
        order by day
        """,
        {"categories": _list(categories), "sku": sku},
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def forecast_accuracy(snap: Snapshot, *, sku: str = "") -> pl.DataFrame:
    """Backtest accuracy (WAPE, MASE) against seasonal naive: the overall row, then per SKU."""
    if "fct_forecast_accuracy" not in tables(snap):
        return pl.DataFrame()
    return _frame(
        snap,
        """
        select * from fct_forecast_accuracy
        where $sku = '' or sku = $sku or scope = 'overall'
        order by scope = 'overall' desc, actual_units desc
        limit $limit
        """,
        {"sku": sku, "limit": LIMIT},
    )

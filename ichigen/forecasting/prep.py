"""From a frame of daily demand rows to a dense panel of series, one row per series.

The input has one row per day and series (finer rows, e.g. per channel and location, are
summed to the configured keys): ``date`` (pl.Date), ``units`` sold, and optionally
``lost_units`` (estimated sales lost to a stock-out), ``is_stockout`` (the day was out of stock)
and ``category``. The engine forecasts true demand: units sold plus lost units. A day flagged
out of stock without an estimate gets one here: the trailing mean of the row's in-stock days
(`ForecastConfig.censored_trailing_days` rows back), where that exceeds what was sold.
A series runs from its first row to the last day of history; days without a row are zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from ichigen.forecasting.config import ForecastConfig
from ichigen.forecasting.errors import DemandInputError

__all__ = ["UNKNOWN_CATEGORY", "Panel", "prepare_panel"]

UNKNOWN_CATEGORY = "unknown"
_RAW_GRAIN = ("channel", "location_id")  # kept apart while imputing censored days


@dataclass(frozen=True)
class Panel:
    """Demand per series and day on one calendar axis, NaN before each series' first day."""

    series: pl.DataFrame  # one row per series: the keys and `category`, in `values` row order
    start: date  # the axis' first day
    values: npt.NDArray[np.float64]  # (series, days)
    first: npt.NDArray[np.int64]  # index of each series' first day on the axis

    @property
    def n_days(self) -> int:
        return int(self.values.shape[1])

    @property
    def categories(self) -> npt.NDArray[np.str_]:
        return self.series["category"].to_numpy().astype(str)

    def dates(self, offset: int, days: int) -> pl.Series:
        """`days` consecutive dates starting `offset` days after the axis' first day."""
        first = np.datetime64(self.start, "D") + offset
        return pl.Series("date", first + np.arange(days)).cast(pl.Date)


def _validate(demand: pl.DataFrame, keys: tuple[str, ...]) -> None:
    missing = [c for c in (*keys, "date", "units") if c not in demand.columns]
    if missing:
        raise DemandInputError(
            f"demand frame lacks column(s) {missing}; it needs {[*keys, 'date', 'units']} "
            "and may have lost_units, is_stockout and category"
        )
    if demand.schema["date"] != pl.Date:
        raise DemandInputError(f"column 'date' is {demand.schema['date']}; cast it to pl.Date")
    for column in ("units", "lost_units"):
        if column in demand.columns and not demand.schema[column].is_numeric():
            raise DemandInputError(f"column {column!r} is {demand.schema[column]}, not numeric")
    if demand["units"].null_count():
        raise DemandInputError("column 'units' has nulls; a day without sales is 0 units")
    if demand.height and demand["units"].min() < 0:  # type: ignore[operator]
        raise DemandInputError("column 'units' has negative values; send returns separately")


def _true_demand(demand: pl.DataFrame, keys: tuple[str, ...], trailing: int) -> pl.Expr:
    units = pl.col("units").cast(pl.Float64)
    lost = (
        pl.col("lost_units").cast(pl.Float64)
        if "lost_units" in demand.columns
        else pl.lit(None, pl.Float64)
    )
    if "is_stockout" not in demand.columns:
        return units + lost.fill_null(0.0)
    grain = [*keys, *(c for c in _RAW_GRAIN if c in demand.columns and c not in keys)]
    stockout = pl.col("is_stockout").fill_null(False)
    in_stock = pl.when(~stockout).then(units)
    trailing_mean = (
        in_stock.fill_null(0.0).rolling_sum(trailing, min_samples=1).shift(1)
        / in_stock.is_not_null().cast(pl.Float64).rolling_sum(trailing, min_samples=1).shift(1)
    ).over(grain, order_by="date")
    imputed = pl.max_horizontal(units, trailing_mean.fill_nan(None).fill_null(units))
    return pl.when(stockout & lost.is_null()).then(imputed).otherwise(units + lost.fill_null(0.0))


def prepare_panel(
    demand: pl.DataFrame,
    *,
    config: ForecastConfig,
    categories: pl.DataFrame | None = None,
    end: date | None = None,
) -> Panel:
    """Dense demand per series (`config.keys`) from its first day to `end` (default: last day).

    `categories` (columns: the first key, ``category``) names each series' category when the
    demand frame has no ``category`` column; a series with neither is in "unknown".
    """
    keys = config.keys
    _validate(demand, keys)
    if end is not None:
        demand = demand.filter(pl.col("date") <= end)
    if demand.height == 0:
        raise DemandInputError("demand frame has no rows to forecast from")
    rows = demand.with_columns(
        _true_demand(demand, keys, config.censored_trailing_days).alias("_demand")
    )
    daily = rows.group_by([*keys, "date"]).agg(pl.col("_demand").sum())
    series = daily.group_by(keys).agg(pl.col("date").min().alias("_first")).sort(keys)
    if "category" in demand.columns:
        named = demand.group_by(keys).agg(pl.col("category").drop_nulls().first())
        series = series.join(named, on=list(keys), how="left")
    elif categories is not None:
        series = series.join(
            categories.select(keys[0], "category").unique(keys[0]), on=keys[0], how="left"
        )
    else:
        series = series.with_columns(pl.lit(None, pl.String).alias("category"))
    series = series.with_columns(
        pl.col("category").cast(pl.String).fill_null(UNKNOWN_CATEGORY),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
    )
    start: date = daily["date"].min()  # type: ignore[assignment]
    last: date = end or daily["date"].max()  # type: ignore[assignment]
    n_days = (last - start).days + 1
    first = (series["_first"] - start).dt.total_days().to_numpy().astype(np.int64)
    values = np.where(np.arange(n_days)[None, :] >= first[:, None], 0.0, np.nan)
    located = daily.join(series.select(*keys, "_row"), on=list(keys)).with_columns(
        (pl.col("date") - start).dt.total_days().alias("_day")
    )
    values[located["_row"].to_numpy(), located["_day"].to_numpy()] = located["_demand"].to_numpy()
    return Panel(
        series=series.select(*keys, "category"),
        start=start,
        values=values,
        first=first,
    )

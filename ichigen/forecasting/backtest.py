"""Rolling-origin backtest of the engine against seasonal naive (last week repeated).

Each origin cuts the history there, forecasts the next `backtest_horizon_days` exactly as the
live forecast would (same classification, models, yearly adjustment and new-product fallback)
and compares with what happened. Origins are `backtest_step_days` apart; the last window ends
on the last day of history. A series enters a window once it has a day before the origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ichigen.forecasting.config import ForecastConfig
from ichigen.forecasting.models import forecast_points
from ichigen.forecasting.prep import Panel

__all__ = ["BacktestPoints", "backtest_origins", "run_backtest", "seasonal_naive"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BacktestPoints:
    """Every (series, origin, day) the backtest scored, as a frame, and per-series arrays."""

    frame: pl.DataFrame
    actual: FloatArray  # (series, windows * horizon), NaN where a series was not yet live
    forecast: FloatArray


def backtest_origins(n_days: int, config: ForecastConfig) -> list[int]:
    """Axis indices of the origins (the first forecast day), oldest first."""
    h, step = config.backtest_horizon_days, config.backtest_step_days
    origins = [n_days - h - step * k for k in range(config.backtest_windows)]
    return sorted(o for o in origins if o > config.season_length)


def seasonal_naive(history: FloatArray, h: int, season: int) -> FloatArray:
    """The last `season` days repeated over `h` days (days before a series began count 0)."""
    last = np.nan_to_num(history[:, -season:])
    reps = -(-h // season)
    naive: FloatArray = np.tile(last, reps)[:, :h]
    return naive


def _mase_scale(history: FloatArray, season: int) -> FloatArray:
    diffs = np.abs(history[:, season:] - history[:, :-season])
    counted = np.sum(~np.isnan(diffs), axis=1)
    # a series younger than a season has no weekly change yet: scale 0, MASE left out
    result: FloatArray = np.nansum(diffs, axis=1) / np.maximum(counted, 1)
    return result


def run_backtest(panel: Panel, config: ForecastConfig) -> BacktestPoints:
    h, season = config.backtest_horizon_days, config.season_length
    categories = panel.categories
    frames: list[pl.DataFrame] = []
    actual_parts: list[FloatArray] = []
    forecast_parts: list[FloatArray] = []
    for origin in backtest_origins(panel.n_days, config):
        live = np.flatnonzero(panel.first < origin)
        history = panel.values[live, :origin]
        points = forecast_points(history, panel.first[live], categories[live], h=h, config=config)
        actual = np.nan_to_num(panel.values[live, origin : origin + h])
        naive = seasonal_naive(history, h, season)
        scale = _mase_scale(history, season)
        full_actual = np.full((panel.values.shape[0], h), np.nan)
        full_forecast = np.full_like(full_actual, np.nan)
        full_actual[live], full_forecast[live] = actual, points.mean
        actual_parts.append(full_actual)
        forecast_parts.append(full_forecast)
        dates = panel.dates(origin, h)
        frames.append(
            pl.DataFrame(
                {
                    "_row": np.repeat(live, h),
                    "origin_date": np.repeat(panel.dates(origin, 1).to_numpy(), live.size * h),
                    "date": np.tile(dates.to_numpy(), live.size),
                    "horizon_day": np.tile(np.arange(1, h + 1), live.size),
                    "actual": actual.ravel(),
                    "forecast": points.mean.ravel(),
                    "naive_forecast": naive.ravel(),
                    "mase_scale": np.repeat(scale, h),
                    "series_kind": np.repeat(points.kind, h),
                    "model": np.repeat(points.model, h),
                }
            )
        )
    keyed = panel.series.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    if not frames:
        # too little history for any origin: no points, but the frame keeps its columns so
        # that what is written (and read by dbt) has the same shape as ever
        empty = np.zeros((panel.values.shape[0], 0))
        schema = {
            **panel.series.schema,
            "origin_date": pl.Date(),
            "date": pl.Date(),
            "horizon_day": pl.Int64(),
            "actual": pl.Float64(),
            "forecast": pl.Float64(),
            "naive_forecast": pl.Float64(),
            "mase_scale": pl.Float64(),
            "series_kind": pl.String(),
            "model": pl.String(),
        }
        return BacktestPoints(frame=pl.DataFrame(schema=schema), actual=empty, forecast=empty)
    frame = (
        pl.concat(frames)
        .with_columns(pl.col("_row").cast(pl.Int64), pl.col("origin_date", "date").cast(pl.Date))
        .join(keyed, on="_row")
        .drop("_row")
    )
    ordered = [*panel.series.columns, *(c for c in frame.columns if c not in panel.series.columns)]
    return BacktestPoints(
        frame=frame.select(ordered),
        actual=np.concatenate(actual_parts, axis=1),
        forecast=np.concatenate(forecast_parts, axis=1),
    )

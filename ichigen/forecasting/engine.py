"""The engine's entry point: demand history in, forecasts with quantiles and a backtest out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from ichigen.forecasting.backtest import run_backtest
from ichigen.forecasting.config import ForecastConfig
from ichigen.forecasting.intervals import dispersion, quantile_forecasts, quantile_name
from ichigen.forecasting.metrics import accuracy_by_series, overall_accuracy
from ichigen.forecasting.models import NEW, forecast_points
from ichigen.forecasting.prep import Panel, prepare_panel

__all__ = ["ForecastRun", "forecast_demand"]


@dataclass(frozen=True)
class ForecastRun:
    """What one run produced: the frames that land as Parquet and the overall figures."""

    forecasts: pl.DataFrame  # keys, category, date, horizon_day, mean, q.., kind, model, ...
    backtest: pl.DataFrame  # keys, category, origin_date, date, actual, forecast, naive, ...
    accuracy: pl.DataFrame  # per series: wape, wape_naive, mase, mase_naive
    overall: dict[str, float]
    history_end: date


def forecast_demand(
    demand: pl.DataFrame,
    *,
    categories: pl.DataFrame | None = None,
    config: ForecastConfig | None = None,
    end: date | None = None,
) -> ForecastRun:
    """Forecast every series in `demand` (see `prepare_panel` for its columns)."""
    config = config or ForecastConfig()
    panel = prepare_panel(demand, config=config, categories=categories, end=end)
    backtest = run_backtest(panel, config)
    points = forecast_points(
        panel.values, panel.first, panel.categories, h=config.horizon_days, config=config
    )
    phi = _dispersion(panel, backtest.actual, backtest.forecast, points.kind)
    quantiles = quantile_forecasts(points.mean, phi, config.quantiles)
    forecasts = _forecast_frame(
        panel, config, points.mean, quantiles, phi, points.kind, points.model
    )
    keys = [*config.keys, "category"]
    has_points = backtest.frame.height > 0
    return ForecastRun(
        forecasts=forecasts,
        backtest=backtest.frame,
        accuracy=accuracy_by_series(backtest.frame, keys) if has_points else pl.DataFrame(),
        overall=overall_accuracy(backtest.frame) if has_points else {},
        history_end=panel.dates(panel.n_days - 1, 1).item(),
    )


def _dispersion(
    panel: Panel, actual: np.ndarray, forecast: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Each series' backtest dispersion; new or unscored series take their category's median."""
    phi = dispersion(actual, forecast, fallback=np.nan)
    scored = ~np.isnan(phi) & (kind != NEW)
    categories = panel.categories
    overall = float(np.median(phi[scored])) if scored.any() else 1.0
    for category in np.unique(categories):
        members = categories == category
        known = phi[members & scored]
        fill = float(np.median(known)) if known.size else overall
        phi[members & ~scored] = fill
    return phi


def _forecast_frame(
    panel: Panel,
    config: ForecastConfig,
    mean: np.ndarray,
    quantiles: dict[float, np.ndarray],
    phi: np.ndarray,
    kind: np.ndarray,
    model: np.ndarray,
) -> pl.DataFrame:
    n, h = mean.shape
    rows = np.repeat(np.arange(n), h)
    history_days = panel.n_days - panel.first
    frame = pl.DataFrame(
        {
            "date": np.tile(panel.dates(panel.n_days, h).to_numpy(), n),
            "horizon_day": np.tile(np.arange(1, h + 1), n),
            "mean": mean.ravel(),
            **{quantile_name(q): v.ravel() for q, v in quantiles.items()},
            "series_kind": kind[rows],
            "model": model[rows],
            "history_days": history_days[rows],
            "dispersion": phi[rows],
        }
    ).with_columns(pl.col("date").cast(pl.Date))
    keys = panel.series[rows]
    return pl.concat([keys, frame], how="horizontal")

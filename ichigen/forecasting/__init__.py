"""Demand forecasting: daily demand per SKU (net of stock-outs) to forecasts with quantiles.

    run = forecast_demand(demand, categories=catalogue)
    run.forecasts   # keys, date, mean and quantiles for `horizon_days` days
    run.backtest    # rolling-origin points against seasonal naive
    run.accuracy    # WAPE and MASE per series; run.overall for all series together

Pure Python over polars and numpy; the models are statsforecast's.
"""

from __future__ import annotations

from ichigen.forecasting.config import ForecastConfig
from ichigen.forecasting.engine import ForecastRun, forecast_demand
from ichigen.forecasting.errors import DemandInputError, ForecastError

__all__ = ["DemandInputError", "ForecastConfig", "ForecastError", "ForecastRun", "forecast_demand"]

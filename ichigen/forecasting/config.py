"""The engine's options, with defaults chosen on the sandbox (see benchmarks/forecasting.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ForecastConfig"]


@dataclass(frozen=True)
class ForecastConfig:
    """How far to forecast, how to backtest and when a series counts as new or intermittent."""

    keys: tuple[str, ...] = ("sku",)  # the series grain; finer input rows are summed to it
    horizon_days: int = 56
    quantiles: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
    season_length: int = 7
    # rolling-origin backtest: `backtest_windows` origins `backtest_step_days` apart, each
    # forecasting `backtest_horizon_days`; the last window ends on the last day of history
    backtest_windows: int = 4
    backtest_step_days: int = 7
    backtest_horizon_days: int = 28
    # fewer days since the first sale than this: the category's profile, scaled
    min_history_days: int = 28
    # Syntetos-Boylan: an average inter-demand interval above 1.32 days is intermittent
    intermittent_adi: float = 1.32
    # the yearly shape is taken from the category a year earlier (needs a year and a window)
    yearly_adjustment: bool = True
    yearly_reference_days: int = 28
    yearly_factor_bounds: tuple[float, float] = (0.2, 5.0)
    # a new SKU's scale is shrunk towards its category's average SKU by this many days
    new_product_prior_days: float = 7.0
    # a day flagged out of stock without a lost-sales estimate is imputed from this many days
    censored_trailing_days: int = 28
    workers: int = field(default=1)  # processes for model fitting (1 = in this process)

"""Point forecasts for a panel: one statsforecast model per kind of series, plus two
adjustments that the single-series models cannot make on their own.

- regular sellers (a sale most days): a seasonal exponential smoothing with a weekly season,
  its smoothing weight optimised per series (cheap: one smoothing per weekday);
- intermittent sellers (Syntetos-Boylan: an average interval between sales above 1.32 days):
  ADIDA, which aggregates to the average interval, smooths, and spreads the rate back;
- the yearly shape: two years of history are too short to fit a yearly season per SKU, so each
  forecast is scaled by how its category moved, a year (52 weeks) earlier, from the weeks just
  before the origin to each forecast day;
- new products (fewer days than `min_history_days`): their category's average established SKU
  forecast, scaled by how the new SKU has sold so far against that average SKU over the same
  days, shrunk towards 1 by a prior of `new_product_prior_days` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from ichigen.forecasting.config import ForecastConfig

__all__ = [
    "INTERMITTENT",
    "NEW",
    "REGULAR",
    "PointForecast",
    "classify",
    "forecast_points",
]

FloatArray = npt.NDArray[np.float64]
REGULAR: Final = "regular"
INTERMITTENT: Final = "intermittent"
NEW: Final = "new"
_YEAR = 364  # 52 weeks: the same weekday a year earlier


class _Model(Protocol):
    alias: str

    def forecast(self, y: FloatArray, h: int) -> dict[str, Any]: ...


@dataclass(frozen=True)
class PointForecast:
    mean: FloatArray  # (series, horizon), never negative
    kind: npt.NDArray[np.str_]  # regular | intermittent | new
    model: npt.NDArray[np.str_]  # the statsforecast model (or the fallback) that produced it


def _models(config: ForecastConfig) -> dict[str, _Model]:
    # imported here: statsforecast takes seconds to import, and Dagster loads this package
    from statsforecast.models import ADIDA, SeasonalExponentialSmoothingOptimized

    return {
        REGULAR: SeasonalExponentialSmoothingOptimized(season_length=config.season_length),
        INTERMITTENT: ADIDA(),
    }


def classify(values: FloatArray, first: npt.NDArray[np.int64], config: ForecastConfig) -> Any:
    """regular, intermittent or new for each series, from its history up to the panel's end."""
    days = values.shape[1] - first
    sales = np.sum(np.nan_to_num(values) > 0, axis=1)
    adi = days / np.maximum(sales, 1)
    return np.where(
        days < config.min_history_days,
        NEW,
        np.where(adi > config.intermittent_adi, INTERMITTENT, REGULAR),
    )


def _fit_predict(model: _Model, y: FloatArray, h: int) -> FloatArray:
    if not np.any(y):
        return np.zeros(h)
    if y.size < 2 * 7 and model.alias != "ADIDA":
        return np.full(h, y.mean())
    result = np.asarray(model.forecast(y=y, h=h)["mean"], dtype=np.float64)
    return np.clip(np.nan_to_num(result), 0.0, None)


def _category_level(values: FloatArray, members: npt.NDArray[np.bool_]) -> FloatArray:
    """Average demand per live series of a category, smoothed over a centred week."""
    block = values[members]
    live = np.sum(~np.isnan(block), axis=0)
    per_series = np.where(live > 0, np.nansum(block, axis=0) / np.maximum(live, 1), np.nan)
    kernel = np.ones(7) / 7.0
    smoothed = np.convolve(np.nan_to_num(per_series), kernel, mode="same")
    counted = np.convolve((~np.isnan(per_series)).astype(float), kernel, mode="same")
    level: FloatArray = np.where(counted > 0.999, smoothed, np.nan)
    return level


def _yearly_factors(level: FloatArray, h: int, config: ForecastConfig) -> FloatArray:
    """How the category moved a year ago from the reference weeks to each forecast day."""
    end = level.size
    ref_from, ref_to = end - _YEAR - config.yearly_reference_days, end - _YEAR
    ahead = level[end - _YEAR : end - _YEAR + h] if ref_from >= 0 else np.array([])
    if ahead.size < h or not config.yearly_adjustment:
        return np.ones(h)
    reference = level[ref_from:ref_to]
    base = np.nanmean(reference) if np.any(~np.isnan(reference)) else np.nan
    if not base or np.isnan(base) or np.any(np.isnan(ahead)):
        return np.ones(h)
    low, high = config.yearly_factor_bounds
    factors: FloatArray = np.clip(ahead / base, low, high)
    return factors


def forecast_points(
    values: FloatArray,
    first: npt.NDArray[np.int64],
    categories: npt.NDArray[np.str_],
    *,
    h: int,
    config: ForecastConfig,
) -> PointForecast:
    """Mean daily demand for the `h` days after the panel's last day, for every series."""
    n = values.shape[0]
    kind = classify(values, first, config)
    models = _models(config)
    mean = np.zeros((n, h))
    model = np.where(kind == NEW, "CategoryProfile", "").astype(object)
    for row in np.flatnonzero(kind != NEW):
        chosen = models[str(kind[row])]
        mean[row] = _fit_predict(chosen, values[row, first[row] :], h)
        model[row] = chosen.alias
    everyone = np.ones(n, dtype=bool)
    for category in np.unique(categories):
        members = categories == category
        level = _category_level(values, members)
        mean[members & (kind != NEW)] *= _yearly_factors(level, h, config)[None, :]
        new = np.flatnonzero(members & (kind == NEW))
        if new.size:
            known = members & (kind != NEW)
            if not known.any():
                known = everyone & (kind != NEW)
            mean[new] = _new_product_forecasts(values, first, new, known, mean, config)
    return PointForecast(mean=mean, kind=kind.astype(str), model=model.astype(str))


def _new_product_forecasts(
    values: FloatArray,
    first: npt.NDArray[np.int64],
    new: npt.NDArray[np.intp],
    known: npt.NDArray[np.bool_],
    mean: FloatArray,
    config: ForecastConfig,
) -> FloatArray:
    h = mean.shape[1]
    if not known.any():
        # nothing established to learn a profile from: each new series' own average, flat
        own = np.array([np.nanmean(values[r, first[r] :]) for r in new])
        return np.repeat(np.nan_to_num(own)[:, None], h, axis=1)
    profile = mean[known].mean(axis=0)
    average_sku = np.nanmean(values[known], axis=0)  # the category's average SKU, per day
    prior = config.new_product_prior_days * max(float(np.nanmean(average_sku[-28:])), 1e-9)
    out = np.empty((new.size, h))
    for i, row in enumerate(new):
        sold = float(np.nansum(values[row, first[row] :]))
        expected = float(np.nansum(average_sku[first[row] :]))
        out[i] = profile * (sold + prior) / (expected + prior)
    return out

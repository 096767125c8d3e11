"""Quantiles around the mean forecast, from how wrong the backtest was.

Daily demand is taken as gamma distributed around the forecast mean, with a variance
proportional to the mean: variance = dispersion * mean, where a series' dispersion is its
backtest's sum of squared errors over its summed forecasts (a variance-to-mean ratio, as a
Poisson series would have 1). Gamma keeps quantiles non-negative and right-skewed, and a series
that the backtest got exactly right (a constant) gets quantiles equal to its mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["dispersion", "quantile_forecasts", "quantile_name"]

FloatArray = npt.NDArray[np.float64]


def quantile_name(q: float) -> str:
    return "q" + f"{q * 100:g}".replace(".", "_")


def dispersion(actual: FloatArray, forecast: FloatArray, *, fallback: float = 1.0) -> FloatArray:
    """Variance-to-mean ratio of the errors, per row of (series, points) arrays."""
    squared = np.nansum((actual - forecast) ** 2, axis=1)
    level = np.nansum(forecast, axis=1)
    ratio: FloatArray = np.where(level > 0, squared / np.where(level > 0, level, 1.0), fallback)
    return ratio


def quantile_forecasts(
    mean: FloatArray, dispersion: FloatArray, quantiles: Sequence[float]
) -> dict[float, FloatArray]:
    """Each quantile of gamma(mean, variance = dispersion * mean), shaped like `mean`."""
    from scipy.stats import gamma

    phi = np.broadcast_to(dispersion[:, None], mean.shape)
    spread = (mean > 0) & (phi > 0)
    shape = np.where(spread, mean / np.where(spread, phi, 1.0), 1.0)
    scale = np.where(spread, phi, 1.0)
    out: dict[float, FloatArray] = {}
    for q in sorted(quantiles):
        values = np.where(spread, gamma.ppf(q, shape, scale=scale), mean)
        out[q] = np.asarray(values, dtype=np.float64)
    return out

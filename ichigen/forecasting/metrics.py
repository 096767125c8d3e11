"""Accuracy measures: WAPE and MASE, per series and overall, for a model and its baseline.

WAPE = sum |actual - forecast| / sum actual. MASE = sum |actual - forecast| / sum of the
scale, where each point's scale is the series' in-sample mean absolute weekly (seasonal) change
up to its backtest origin; summed this way, a series' MASE is its MAE over the mean scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["accuracy_by_series", "overall_accuracy", "wape"]


def wape(actual: pl.Expr, forecast: pl.Expr) -> pl.Expr:
    return (actual - forecast).abs().sum() / actual.sum()


def _measures() -> list[pl.Expr]:
    actual, scale = pl.col("actual"), pl.col("mase_scale")
    model_error = (actual - pl.col("forecast")).abs().sum()
    naive_error = (actual - pl.col("naive_forecast")).abs().sum()
    return [
        pl.len().alias("points"),
        actual.sum().alias("actual_units"),
        pl.col("forecast").sum().alias("forecast_units"),
        (model_error / actual.sum()).alias("wape"),
        (naive_error / actual.sum()).alias("wape_naive"),
        (model_error / scale.sum()).alias("mase"),
        (naive_error / scale.sum()).alias("mase_naive"),
    ]


def accuracy_by_series(points: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """One row per series: WAPE and MASE of the model and of seasonal naive.

    WAPE is null for a series without demand in its backtest days, MASE for one whose
    history never changed week on week.
    """
    return (
        points.group_by(list(keys))
        .agg(_measures())
        .with_columns(pl.col("^wape.*$", "^mase.*$").fill_nan(None))
        .with_columns(
            pl.when(pl.col("actual_units") == 0)
            .then(None)
            .otherwise(pl.col("^wape.*$"))
            .name.keep()
        )
        .sort(keys)
    )


def overall_accuracy(points: pl.DataFrame) -> dict[str, float]:
    """WAPE and MASE over every backtest point, and the WAPE improvement over naive."""
    row = points.select(_measures()).row(0, named=True)
    improvement = 1.0 - row["wape"] / row["wape_naive"] if row["wape_naive"] else float("nan")
    return {**{k: float(v) for k, v in row.items()}, "wape_improvement": improvement}

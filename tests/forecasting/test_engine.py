"""The forecasting engine on small synthetic series whose right answers are known."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from ichigen.forecasting import DemandInputError, ForecastConfig, forecast_demand
from ichigen.forecasting.prep import prepare_panel

START = date(2024, 1, 1)  # a Monday
FAST = ForecastConfig(horizon_days=14, backtest_windows=2, backtest_horizon_days=14)


def _frame(
    series: dict[str, np.ndarray], *, category: str = "tops", offset: int = 0
) -> pl.DataFrame:
    frames = [
        pl.DataFrame(
            {
                "sku": sku,
                "date": [START + timedelta(days=offset + i) for i in range(values.size)],
                "units": values.astype(np.int64),
                "category": category,
            }
        )
        for sku, values in series.items()
    ]
    return pl.concat(frames)


def test_a_constant_series_is_forecast_as_that_constant_with_no_spread() -> None:
    run = forecast_demand(_frame({"A": np.full(120, 5)}), config=FAST)
    forecast = run.forecasts
    assert forecast.height == FAST.horizon_days
    assert forecast["mean"].to_numpy() == pytest.approx(5.0)
    for column in ("q50", "q80", "q90", "q95"):
        assert forecast[column].to_numpy() == pytest.approx(5.0)
    assert forecast["date"].min() == START + timedelta(days=120)


def test_quantiles_are_ordered_and_widen_above_the_mean_for_noisy_demand() -> None:
    rng = np.random.default_rng(1)
    run = forecast_demand(
        _frame({"A": rng.poisson(8.0, 200), "B": rng.poisson(0.3, 200)}), config=FAST
    )
    f = run.forecasts
    assert (f["q50"] <= f["q80"]).all() and (f["q80"] <= f["q90"]).all()
    assert (f["q90"] <= f["q95"]).all() and (f["q95"] > f["mean"]).all()
    assert (f["q50"] >= 0).all()


def test_intermittent_and_regular_sellers_get_models_made_for_them() -> None:
    rng = np.random.default_rng(2)
    sparse = (rng.random(200) < 0.15) * rng.integers(1, 4, 200)
    run = forecast_demand(_frame({"SPARSE": sparse, "STEADY": rng.poisson(10.0, 200)}), config=FAST)
    kinds = dict(run.forecasts.select("sku", "series_kind").unique().iter_rows())
    models = dict(run.forecasts.select("sku", "model").unique().iter_rows())
    assert kinds == {"SPARSE": "intermittent", "STEADY": "regular"}
    assert models == {"SPARSE": "ADIDA", "STEADY": "SeasESOpt"}
    sparse_mean = float(run.forecasts.filter(pl.col("sku") == "SPARSE")["mean"].to_numpy().mean())
    assert 0.1 < sparse_mean < 0.6  # about 0.15 * 2 a day


def test_the_backtest_beats_seasonal_naive_on_a_weekly_season_with_trend_and_noise() -> None:
    rng = np.random.default_rng(3)
    days = np.arange(300)
    weekly = np.array([1.0, 0.9, 0.9, 1.0, 1.2, 1.6, 1.4])
    series = {
        f"S{i}": rng.poisson((20 + 0.03 * days) * weekly[days % 7] * (1 + 0.2 * i))
        for i in range(4)
    }
    run = forecast_demand(_frame(series), config=FAST)
    assert run.overall["wape"] < 0.9 * run.overall["wape_naive"]
    assert run.overall["mase"] < run.overall["mase_naive"]
    per_series = run.accuracy
    assert per_series.height == 4
    assert (per_series["wape"] < per_series["wape_naive"]).all()


def test_a_new_sku_gets_its_categorys_profile_scaled_by_its_own_sales() -> None:
    rng = np.random.default_rng(4)
    established = {f"OLD{i}": rng.poisson(10.0, 200) for i in range(5)}
    demand = pl.concat(
        [
            _frame(established),
            # launched ten days before the end, selling at twice the category's average
            _frame({"NEW": np.full(10, 20)}, offset=190),
        ]
    )
    run = forecast_demand(demand, config=FAST)
    f = run.forecasts
    new = f.filter(pl.col("sku") == "NEW")
    assert new["series_kind"].unique().to_list() == ["new"]
    assert new["model"].unique().to_list() == ["CategoryProfile"]
    profile = f.filter(pl.col("sku") != "NEW").group_by("horizon_day").agg(pl.col("mean").mean())
    ratio = (
        new.sort("horizon_day")["mean"].to_numpy() / profile.sort("horizon_day")["mean"].to_numpy()
    )
    assert ratio == pytest.approx(np.full(ratio.size, ratio[0]))  # the category's shape
    assert 1.3 < ratio[0] < 2.0  # scaled up towards 2x, shrunk by the prior


def test_a_new_sku_alone_in_an_unknown_category_is_still_forecast() -> None:
    demand = _frame({"ONLY": np.array([1, 0, 2])}).drop("category")
    run = forecast_demand(demand, config=FAST)
    assert run.forecasts["mean"].to_numpy() == pytest.approx(1.0)
    assert run.forecasts["category"].unique().to_list() == ["unknown"]


def test_stockout_days_count_sold_plus_lost_units() -> None:
    demand = _frame({"A": np.full(60, 4)}).with_columns(
        pl.lit(0).alias("lost_units"), pl.lit(False).alias("is_stockout")
    )
    out = (pl.col("date") >= START + timedelta(days=50)) & (
        pl.col("date") < START + timedelta(days=55)
    )
    censored = demand.with_columns(
        pl.when(out).then(1).otherwise(pl.col("units")).alias("units"),
        pl.when(out).then(3).otherwise(0).alias("lost_units"),
        out.alias("is_stockout"),
    )
    panel = prepare_panel(censored, config=FAST)
    assert panel.values[0] == pytest.approx(np.full(60, 4.0))


def test_stockout_days_without_an_estimate_are_imputed_from_in_stock_days() -> None:
    demand = _frame({"A": np.full(60, 6)})
    out = pl.col("date") >= START + timedelta(days=55)
    censored = demand.with_columns(
        pl.when(out).then(0).otherwise(pl.col("units")).alias("units"), out.alias("is_stockout")
    )
    panel = prepare_panel(censored, config=FAST)
    assert panel.values[0, 55:] == pytest.approx(np.full(5, 6.0))
    run = forecast_demand(censored, config=FAST)
    assert run.forecasts["mean"].to_numpy() == pytest.approx(6.0, rel=0.05)


def test_rows_per_channel_are_summed_to_the_sku() -> None:
    a = _frame({"A": np.full(40, 2)}).with_columns(pl.lit("shopify").alias("channel"))
    b = _frame({"A": np.full(40, 3)}).with_columns(pl.lit("pos").alias("channel"))
    panel = prepare_panel(pl.concat([a, b]), config=FAST)
    assert panel.values.shape == (1, 40)
    assert panel.values[0] == pytest.approx(np.full(40, 5.0))


def test_a_frame_without_units_is_refused_with_what_it_needs() -> None:
    with pytest.raises(DemandInputError, match="units"):
        forecast_demand(pl.DataFrame({"sku": ["A"], "date": [START]}), config=FAST)


def test_a_history_too_short_to_backtest_still_forecasts_with_an_empty_backtest() -> None:
    days = 20
    demand = pl.DataFrame(
        {
            "sku": ["A"] * days,
            "date": [date(2026, 10, 1) + timedelta(days=i) for i in range(days)],
            "units": [3.0] * days,
        }
    )
    run = forecast_demand(demand)
    assert run.backtest.is_empty() and "date" in run.backtest.columns
    assert run.forecasts.height > 0

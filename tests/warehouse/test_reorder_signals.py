"""The reorder signals explain themselves and never order what is already coming."""

from __future__ import annotations

import math

import pytest

from tests.conftest import BuiltWarehouse
from tests.warehouse.test_inventory_marts import _query

pytestmark = pytest.mark.slow


def test_every_suggestion_carries_the_numbers_that_produced_it(
    built_warehouse: BuiltWarehouse,
) -> None:
    rows = _query(built_warehouse, "select * from marts.fct_reorder_signals")
    assert rows.height > 0
    for row in rows.iter_rows(named=True):
        d, sd, lt, sd_lt, z = (
            row["demand_daily_mean"],
            row["demand_daily_sd"],
            row["lead_time_days"],
            row["lead_time_days_sd"],
            row["service_level_z"],
        )
        protection = lt + row["review_period_days"]
        assert row["protection_days"] == pytest.approx(protection)
        assert row["protection_demand"] == pytest.approx(d * protection)
        assert row["protection_demand_variance"] == pytest.approx(protection * sd**2)
        safety = z * math.sqrt(row["protection_demand_variance"] + d**2 * sd_lt**2)
        assert row["safety_stock"] == pytest.approx(safety)
        assert row["reorder_point"] == pytest.approx(row["lead_time_demand"] + safety)
        assert row["order_up_to"] == pytest.approx(row["protection_demand"] + safety)
        position = row["on_hand"] + row["in_transit"] + row["on_order"] - row["reserved"]
        assert row["inventory_position"] == position
        if row["suggested_quantity"] > 0:
            assert row["suggested_quantity"] % row["case_pack"] == 0
            assert row["suggested_quantity"] >= row["moq"]
            assert position <= row["reorder_point"]
            raw = row["order_up_to"] - float(position)
            assert row["suggested_quantity"] >= raw
            assert row["suggested_quantity"] - row["case_pack"] < max(raw, row["moq"])
        else:
            assert not row["needs_reorder"]


def test_signals_come_from_the_forecast_wherever_the_sku_has_one(
    built_warehouse: BuiltWarehouse,
) -> None:
    signals = _query(built_warehouse, "select * from marts.fct_reorder_signals")
    forecast = _query(
        built_warehouse,
        """
        select sku, forecast_date, horizon_day, demand_mean, dispersion
        from marts.fct_demand_forecast
        """,
    )
    assert forecast.height > 0, "the build wrote no forecasts"
    forecast_skus = set(forecast["sku"].to_list())
    for row in signals.iter_rows(named=True):
        expected = "forecast" if row["sku"] in forecast_skus else "history"
        assert row["demand_source"] == expected, row["reorder_key"]
    from_forecast = signals.filter(signals["demand_source"] == "forecast")
    assert from_forecast.height > 0

    # each warehouse takes its share of the SKU's forecast, and the shares add up to the SKU
    by_sku: dict[str, float] = {}
    for row in from_forecast.iter_rows(named=True):
        by_sku[row["sku"]] = by_sku.get(row["sku"], 0.0) + row["demand_share"]
    assert all(s == pytest.approx(1.0) for s in by_sku.values())

    # the SKU's demand over the protection interval is the sum of its daily means over it
    means = {
        sku: [m for _, m in sorted(zip(days, vals, strict=True))]
        for sku, days, vals in forecast.group_by("sku")
        .agg("horizon_day", "demand_mean")
        .iter_rows()
    }
    for row in from_forecast.iter_rows(named=True):
        daily = means[row["sku"]]
        for interval, column in (
            (row["lead_time_days"], "forecast_sku_lead_time_demand"),
            (row["protection_days"], "forecast_sku_protection_demand"),
        ):
            inside = sum(m * min(max(interval - h, 0.0), 1.0) for h, m in enumerate(daily))
            past = max(interval - len(daily), 0.0) * sum(daily[-28:]) / len(daily[-28:])
            assert row[column] == pytest.approx(inside + past, rel=1e-9, abs=1e-9)
        share = row["demand_share"]
        assert row["protection_demand"] == pytest.approx(
            share * row["forecast_sku_protection_demand"], abs=1e-9
        )
        phi = row["forecast_dispersion_applied"]
        assert row["protection_demand_variance"] == pytest.approx(
            share * row["forecast_sku_protection_demand"] * (1 + share * (phi - 1)), abs=1e-9
        )

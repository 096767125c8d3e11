"""The reorder signals explain themselves and never order what is already coming."""

from __future__ import annotations

import math

import pytest

from tests.warehouse.conftest import BuiltWarehouse
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
        assert row["safety_stock"] == pytest.approx(z * math.sqrt(lt * sd**2 + d**2 * sd_lt**2))
        assert row["reorder_point"] == pytest.approx(d * lt + row["safety_stock"])
        position = row["on_hand"] + row["in_transit"] + row["on_order"] - row["reserved"]
        assert row["inventory_position"] == position
        if row["suggested_quantity"] > 0:
            assert row["suggested_quantity"] % row["case_pack"] == 0
            assert row["suggested_quantity"] >= row["moq"]
            assert position <= row["reorder_point"]
        else:
            assert not row["needs_reorder"]

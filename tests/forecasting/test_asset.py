"""The demand_forecasts asset against a small warehouse with the two marts it reads."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from ichigen.orchestration.forecasting import FORECAST_KEYS, defs, demand_forecasts
from ichigen.orchestration.warehouse import WarehouseResource
from ichigen.paths import DataPaths
from ichigen.settings import Settings


def _warehouse(path: Path) -> None:
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(90)]
    demand = pl.DataFrame(
        {
            "demand_date": days * 2,
            "sku": ["A"] * 90 + ["B"] * 90,
            "channel": "shopify",
            "location_id": "WH-TOKYO",
            "units_sold": [3] * 90 + [i % 3 for i in range(90)],
            "lost_units_estimated": 0.0,
            "is_stockout_day": False,
        }
    )
    products = pl.DataFrame({"sku": ["A", "B"], "category": ["tops", "tops"]})
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.register("demand", demand.to_arrow())
        con.register("products", products.to_arrow())
        con.execute("create table marts.fct_demand_daily as select * from demand")
        con.execute("create table marts.dim_products as select * from products")


def test_the_asset_lands_forecasts_and_backtest_after_the_demand_mart(tmp_path: Path) -> None:
    _warehouse(DataPaths(tmp_path).warehouse)
    result = dg.materialize(
        [demand_forecasts], resources={"warehouse": WarehouseResource(data_dir=str(tmp_path))}
    )
    assert result.success
    forecasts = pl.read_parquet(DataPaths(tmp_path).forecasts / "forecasts.parquet")
    assert set(forecasts["sku"]) == {"A", "B"}
    assert forecasts["forecast_date"].min() == date(2025, 4, 1)
    assert pl.read_parquet(DataPaths(tmp_path).forecasts / "backtest.parquet").height > 0
    assert not list(DataPaths(tmp_path).forecasts.glob(".*.tmp")), "no temporary file left"
    deps = demand_forecasts.asset_deps[FORECAST_KEYS["forecasts"]]
    assert dg.AssetKey(["fct_demand_daily"]) in deps


def test_an_empty_demand_history_forecasts_nothing_and_removes_older_forecasts(
    tmp_path: Path,
) -> None:
    paths = DataPaths(tmp_path)
    _warehouse(paths.warehouse)
    resources = {"warehouse": WarehouseResource(data_dir=str(tmp_path))}
    assert dg.materialize([demand_forecasts], resources=resources).success
    assert (paths.forecasts / "forecasts.parquet").exists()
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("delete from marts.fct_demand_daily")
    # a store whose sales name no SKU of the catalogue yet: the build goes on
    result = dg.materialize([demand_forecasts], resources=resources)
    assert result.success
    assert not (paths.forecasts / "forecasts.parquet").exists()
    assert not (paths.forecasts / "backtest.parquet").exists()
    notes = [m.metadata["note"] for m in result.asset_materializations_for_node("demand_forecasts")]
    assert notes and all("nothing forecast" in str(note) for note in notes)


def test_the_forecasting_definitions_join_the_warehouse_lineage(settings: Settings) -> None:
    from ichigen.orchestration import warehouse

    merged = dg.Definitions.merge(
        warehouse.defs,
        defs,
        dg.Definitions(resources=warehouse.warehouse_resources(settings)),
    )
    graph = merged.resolve_asset_graph()
    staged = graph.get(dg.AssetKey(["stg_forecasting__forecasts"]))
    assert FORECAST_KEYS["forecasts"] in staged.parent_keys
    assert dg.AssetKey(["fct_demand_daily"]) in graph.get(FORECAST_KEYS["forecasts"]).parent_keys
    # dbt runs before and after the forecast: the job must split the dbt step, not refuse
    assert merged.resolve_implicit_global_asset_job_def() is not None

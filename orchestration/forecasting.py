"""Demand forecasts: read the demand mart read-only, forecast, land Parquet for dbt to read.

The asset runs after dbt has built ``fct_demand_daily`` and writes, atomically
(`ichigen.atomic.replacing`), ``$ICHIGEN_DATA_DIR/forecasts/forecasts.parquet`` and
``backtest.parquet``. dbt
reads them as the source ``forecasting`` (dbt_project/models/staging/forecasting/), whose
tables the warehouse's translator names ``forecasting_forecasts`` and ``forecasting_backtest``:
those are the two keys this multi-asset materialises, so the graph stays one lineage
(fct_demand_daily -> demand_forecasts -> stg_forecasting__* -> fct_demand_forecast).
"""

# No `from __future__ import annotations`: Dagster inspects the resource annotation itself.

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from ichigen.atomic import replacing
from ichigen.forecasting import ForecastConfig, ForecastRun, forecast_demand
from ichigen.orchestration.warehouse import WarehouseResource

__all__ = [
    "DEMAND_MART",
    "FORECAST_KEYS",
    "defs",
    "demand_forecasts",
    "read_demand",
    "write_atomically",
    "write_forecast_run",
]

DEMAND_MART = dg.AssetKey(["fct_demand_daily"])
PRODUCTS_MART = dg.AssetKey(["dim_products"])
FORECAST_KEYS = {
    "forecasts": dg.AssetKey(["forecasting_forecasts"]),
    "backtest": dg.AssetKey(["forecasting_backtest"]),
}

# the engine's column names from the mart's (see ichigen.forecasting.prep)
_DEMAND_QUERY = """
select
    demand.sku,
    demand.channel,
    demand.location_id,
    demand.demand_date as date,
    demand.units_sold as units,
    demand.lost_units_estimated as lost_units,
    demand.is_stockout_day as is_stockout,
    products.category
from marts.fct_demand_daily as demand
left join marts.dim_products as products on demand.sku = products.sku
"""


def read_demand(warehouse_path: Path) -> pl.DataFrame:
    """The demand mart with each SKU's category, through a read-only connection."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        frame = pl.from_arrow(con.sql(_DEMAND_QUERY).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(
        pl.col("date").cast(pl.Date), pl.col("units", "lost_units").cast(pl.Float64)
    )


def write_atomically(frame: pl.DataFrame, path: Path) -> Path:
    """Write Parquet so that dbt, reading it, sees the old or the new file, never half of one."""
    with replacing(path) as tmp:
        frame.write_parquet(tmp)
    return path


def write_forecast_run(run: ForecastRun, out_dir: Path, *, made_at: datetime) -> dict[str, Path]:
    stamp = pl.lit(made_at, pl.Datetime("us", "UTC")).alias("forecast_made_at")
    end = pl.lit(run.history_end, pl.Date).alias("history_end")
    return {
        "forecasts": write_atomically(
            run.forecasts.rename({"date": "forecast_date", "model": "forecast_model"}).with_columns(
                stamp, end
            ),
            out_dir / "forecasts.parquet",
        ),
        "backtest": write_atomically(
            run.backtest.rename({"date": "demand_date", "model": "forecast_model"}).with_columns(
                stamp, end
            ),
            out_dir / "backtest.parquet",
        ),
    }


@dg.multi_asset(
    name="demand_forecasts",
    group_name="forecasting",
    specs=[
        dg.AssetSpec(
            FORECAST_KEYS["forecasts"],
            deps=[DEMAND_MART, PRODUCTS_MART],
            kinds={"python", "parquet"},
            description="Daily demand forecast per SKU with quantiles (forecasts.parquet).",
        ),
        dg.AssetSpec(
            FORECAST_KEYS["backtest"],
            deps=[DEMAND_MART, PRODUCTS_MART],
            kinds={"python", "parquet"},
            description="Rolling-origin backtest against seasonal naive (backtest.parquet).",
        ),
    ],
)
def demand_forecasts(warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
    demand = read_demand(warehouse.warehouse_path)
    if demand.is_empty():
        # A shop whose sales name no SKU of the catalogue yet (a first load, a till-only
        # retailer before its product master): nothing to forecast is not a failed build. The
        # forecasts of an earlier history would describe SKUs that no longer sell, so they go.
        yield from _nothing_to_forecast(warehouse.paths.forecasts)
        return
    run = forecast_demand(demand, config=ForecastConfig())
    paths = write_forecast_run(run, warehouse.paths.forecasts, made_at=datetime.now(UTC))
    series = run.forecasts.select("sku").n_unique()
    overall = {f"backtest_{k}": dg.MetadataValue.float(v) for k, v in run.overall.items()}
    yield dg.MaterializeResult(
        asset_key=FORECAST_KEYS["forecasts"],
        metadata={
            "path": str(paths["forecasts"]),
            "series": series,
            "rows": run.forecasts.height,
            "history_end": str(run.history_end),
        },
    )
    yield dg.MaterializeResult(
        asset_key=FORECAST_KEYS["backtest"],
        metadata={"path": str(paths["backtest"]), "rows": run.backtest.height, **overall},
    )


def _nothing_to_forecast(folder: Path) -> Iterator[dg.MaterializeResult]:
    note = "fct_demand_daily is empty: no demand history, nothing forecast"
    for name, key in FORECAST_KEYS.items():  # each table's file is named after it
        (folder / f"{name}.parquet").unlink(missing_ok=True)
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": 0, "note": note})


defs = dg.Definitions(assets=[demand_forecasts])

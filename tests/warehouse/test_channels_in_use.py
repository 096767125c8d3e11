"""A retailer need not sell on every channel: the warehouse builds from the channels it uses."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ichigen.orchestration.warehouse import dbt_build_args
from tests.conftest import BuiltWarehouse
from tests.dbt_cli import run_dbt

pytestmark = pytest.mark.slow

# the stores' tills and member master, wholesale's order sheets, the stock counts and the
# supplier: no web shop and no marketplace
_STORES_AND_WHOLESALE = ("pos", "wholesale", "stock", "supplier")


def _orders_by_channel(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select channel, count(*) from marts.fct_orders group by channel")
        return dict(rows.fetchall())


def test_a_retailer_with_stores_and_wholesale_only_gets_the_same_orders_of_both(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    landed = built_warehouse.settings.data_dir / "landing"
    data_dir = tmp_path / "data"
    for channel in _STORES_AND_WHOLESALE:
        shutil.copytree(landed / channel, data_dir / "landing" / channel)
    warehouse = tmp_path / "warehouse" / "ichigen.duckdb"

    built = run_dbt(dbt_build_args(), data_dir=data_dir, warehouse=warehouse)

    assert built.returncode == 0, built.stdout[-4000:]
    everywhere = _orders_by_channel(built_warehouse.path)
    assert _orders_by_channel(warehouse) == {
        channel: everywhere[channel] for channel in ("pos", "wholesale")
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customers = con.execute("select count(*) from marts.dim_customers").fetchone()
        demand = con.execute("select distinct channel from marts.fct_demand_daily").fetchall()
    assert customers is not None and customers[0] > 0, "the members and trade buyers"
    assert {channel for (channel,) in demand} == {"pos", "wholesale"}

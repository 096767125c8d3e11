"""The incremental marts' data tests check the rows built since they last passed
(dbt_project/macros/test_passes.sql): a failure is found again until it is mended, a repeated
key is looked for in the whole table, and rows a passing build already checked are not read
again. Each test runs `dbt test` on a copy of the session's built warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BuiltWarehouse
from tests.dbt_cli import run_dbt

pytestmark = pytest.mark.slow

_NOT_NULL_CHANNEL = "not_null_fct_orders_channel"
_DEMAND_KEY = "fct_demand_daily_has_one_row_per_day_sku_channel_and_location"


def _copy(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse" / "ichigen.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(built_warehouse.path, warehouse)
    return warehouse


def _dbt_test(built_warehouse: BuiltWarehouse, warehouse: Path, select: str) -> dict[str, str]:
    """Each test's status, by name, after `dbt test --select select` on `warehouse`."""
    data_dir = built_warehouse.settings.data_dir
    run_dbt(["test", "--select", select], data_dir=data_dir, warehouse=warehouse)
    target = warehouse.parent / "target"
    results = json.loads((target / "run_results.json").read_text("utf-8"))["results"]
    return {r["unique_id"].split(".")[2]: r["status"] for r in results}


def _execute(warehouse: Path, sql: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


def _insert_copy(warehouse: Path, table: str, replace: str) -> None:
    """A copy of one of `table`'s rows with `replace` (DuckDB's `* replace (...)`), as a build
    might have written it."""
    _execute(
        warehouse,
        f"insert into {table} by name select * replace ({replace}) from {table} limit 1",
    )


def _status(built_warehouse: BuiltWarehouse, warehouse: Path, test: str) -> str:
    return _dbt_test(built_warehouse, warehouse, test)[test]


def test_a_failing_row_is_checked_again_until_it_is_mended(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    warehouse = _copy(built_warehouse, tmp_path)
    assert _status(built_warehouse, warehouse, _NOT_NULL_CHANNEL) == "pass"

    # a later build writes an order without a channel
    _insert_copy(
        warehouse,
        "marts.fct_orders",
        "'broken:1' as order_key, null as channel, now() as _built_at",
    )
    for _ in range(2):
        assert _status(built_warehouse, warehouse, _NOT_NULL_CHANNEL) == "fail"

    _execute(warehouse, "delete from marts.fct_orders where order_key = 'broken:1'")
    assert _status(built_warehouse, warehouse, _NOT_NULL_CHANNEL) == "pass"


def test_rows_a_passing_build_checked_are_not_read_again(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    warehouse = _copy(built_warehouse, tmp_path)
    # a row written before the session's build passed the test, changed behind dbt's back:
    # only a test that reads every row again can see it
    _insert_copy(
        warehouse,
        "marts.fct_orders",
        "'old:1' as order_key, null as channel, timestamptz '2000-01-01' as _built_at",
    )
    assert _status(built_warehouse, warehouse, _NOT_NULL_CHANNEL) == "pass"

    # without a pass on record, every row is checked
    _execute(warehouse, "delete from main.test_passes")
    assert _status(built_warehouse, warehouse, _NOT_NULL_CHANNEL) == "fail"


def test_a_new_row_repeating_a_kept_key_fails_the_key_test(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    warehouse = _copy(built_warehouse, tmp_path)
    assert _status(built_warehouse, warehouse, _DEMAND_KEY) == "pass"

    # a later build writes again a day it kept
    _insert_copy(warehouse, "marts.fct_demand_daily", "now() as _built_at")
    assert _status(built_warehouse, warehouse, _DEMAND_KEY) == "fail"

"""The warehouse wiring: dbt arguments, lineage from landing to models, and the snapshot."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ichigen.orchestration.project import ensure_manifest
from ichigen.orchestration.serving import publish_snapshot
from ichigen.orchestration.warehouse import (
    WarehouseResource,
    dbt_build_args,
    ichigen_dbt_assets,
    parse_ahead,
    warehouse_resources,
)
from ichigen.paths import DataPaths
from ichigen.settings import load_settings
from tests.dbt_cli import run_dbt


def test_build_arguments_are_built_from_options() -> None:
    no_unit_tests = ["--exclude-resource-type", "unit_test"]
    assert dbt_build_args() == ["build", "--indirect-selection", "buildable", *no_unit_tests]
    assert dbt_build_args(after_forecasts=True) == [
        "build",
        "--indirect-selection",
        "eager",
        *no_unit_tests,
    ]
    assert dbt_build_args(full_refresh=True, select="marts", unit_tests=True) == [
        "build",
        "--indirect-selection",
        "buildable",
        "--full-refresh",
        "--select",
        "marts",
    ]


@dataclass(frozen=True)
class _EmptyBuild:
    data_dir: Path
    warehouse: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def built_before_the_first_load(tmp_path_factory: pytest.TempPathFactory) -> _EmptyBuild:
    """The build a new installation runs before anything landed: every source reads as no rows
    (dbt_project/macros/locations.sql), and every model and data test runs on none."""
    root = tmp_path_factory.mktemp("empty-warehouse")
    data_dir, warehouse = root / "data", root / "warehouse" / "ichigen.duckdb"
    built = run_dbt(dbt_build_args(), data_dir=data_dir, warehouse=warehouse)
    return _EmptyBuild(data_dir, warehouse, built)


@pytest.mark.slow
def test_a_build_before_the_first_load_passes_with_every_model_empty(
    built_before_the_first_load: _EmptyBuild,
) -> None:
    built = built_before_the_first_load.result
    assert built.returncode == 0, built.stdout[-4000:]
    assert not (built_before_the_first_load.data_dir / "landing").exists(), "landing is ingestion's"
    with duckdb.connect(str(built_before_the_first_load.warehouse), read_only=True) as con:
        for mart in ("fct_orders", "dim_customers", "fct_demand_daily", "fct_reorder_signals"):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone() == (0,), mart


@pytest.mark.slow
def test_the_models_pass_their_unit_tests(built_before_the_first_load: _EmptyBuild) -> None:
    """Builds leave the unit tests out: they run here, on the models built empty (dbt reads
    the column types of a unit test's inputs from the warehouse)."""
    empty = built_before_the_first_load
    assert empty.result.returncode == 0, "the build before them failed"
    done = run_dbt(
        ["test", "--select", "test_type:unit"], data_dir=empty.data_dir, warehouse=empty.warehouse
    )
    assert done.returncode == 0, done.stdout[-4000:]


def test_dbt_sources_are_the_landing_assets_so_the_graph_is_one_lineage() -> None:
    deps = {key.to_user_string() for key in ichigen_dbt_assets.dependency_keys}
    assert "shopify_orders" in deps
    staged = ichigen_dbt_assets.asset_deps[
        next(k for k in ichigen_dbt_assets.keys if k.path == ["stg_shopify__orders"])
    ]
    assert {key.to_user_string() for key in staged} == {"shopify_orders"}


def test_dbt_is_told_the_warehouse_paths_on_its_command_line(tmp_path: Path) -> None:
    args = WarehouseResource(data_dir=str(tmp_path)).dbt_args(["build"])
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2]) == {
        "data_dir": str(tmp_path.resolve()),
        "warehouse_path": str(DataPaths(tmp_path).warehouse.resolve()),
    }


def test_the_shopify_web_location_setting_reaches_dbt_as_a_var(tmp_path: Path) -> None:
    settings = load_settings(
        {"ICHIGEN_DATA_DIR": str(tmp_path), "ICHIGEN_SHOPIFY_WEB_LOCATION": "WH-OSAKA"},
        dotenv=False,
    )
    warehouse = warehouse_resources(settings)["warehouse"]
    found = json.loads(warehouse.dbt_args(["build"])[2])
    assert found["shopify_web_location"] == "WH-OSAKA"


def _warehouse(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.fct_orders as select range as id from range(?)", [rows]
        )
        con.execute("create schema if not exists staging")
        con.execute("create or replace view staging.v as select 1 as x")


def test_a_snapshot_copies_the_marts_and_an_open_reader_keeps_its_old_file(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    _warehouse(warehouse, 3)
    snapshot = publish_snapshot(warehouse, DataPaths(tmp_path).snapshot)
    reader = duckdb.connect(str(snapshot), read_only=True)
    assert reader.execute("select count(*) from fct_orders").fetchone() == (3,)
    tables = {
        t
        for (t,) in reader.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    }
    assert tables == {"fct_orders"}, "only the marts' tables"
    _warehouse(warehouse, 5)
    publish_snapshot(warehouse, DataPaths(tmp_path).snapshot)
    assert reader.execute("select count(*) from fct_orders").fetchone() == (3,)
    reader.close()
    with duckdb.connect(str(snapshot), read_only=True) as fresh:
        assert fresh.execute("select count(*) from fct_orders").fetchone() == (5,)
    assert sorted(p.name for p in (tmp_path / "serving").iterdir()) == [
        "current.duckdb",
        "restricted",
    ]


def test_a_parse_ahead_leaves_a_file_the_builds_dbt_accepts(tmp_path: Path) -> None:
    environ = dict(os.environ)
    settings = load_settings({"ICHIGEN_DATA_DIR": str(tmp_path)}, dotenv=False)
    parse_ahead(settings)
    assert dict(os.environ) == environ, "dbt gets its paths as vars, not from the process"
    resources = warehouse_resources(settings)
    warehouse: WarehouseResource = resources["warehouse"]
    target = warehouse.dbt_target_path
    assert (target / "partial_parse.msgpack").exists()
    # the same resource and arguments as the build's dbt step
    listing = resources["dbt"].cli(
        warehouse.dbt_args(["ls", "--resource-type", "seed"]),
        manifest=ensure_manifest(),
        target_path=target,
    )
    messages = [event.raw_event["info"]["msg"] for event in listing.stream_raw_events()]
    assert not [m for m in messages if "partial pars" in m.lower()], messages

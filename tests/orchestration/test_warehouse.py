"""The warehouse wiring: dbt arguments, lineage from landing to models, and the snapshot."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingestion.landing import LANDING_SCHEMA
from orchestration.serving import publish_snapshot
from orchestration.warehouse import (
    DBT_PROJECT_DIR,
    dbt_build_args,
    ensure_landing_sources,
    ichigen_dbt_assets,
)


def test_build_arguments_are_built_from_options() -> None:
    assert dbt_build_args() == ["build", "--indirect-selection", "buildable"]
    assert dbt_build_args(after_forecasts=True) == ["build", "--indirect-selection", "eager"]
    assert dbt_build_args(full_refresh=True, select="marts") == [
        "build",
        "--indirect-selection",
        "buildable",
        "--full-refresh",
        "--select",
        "marts",
    ]


def test_dbt_sources_are_the_landing_assets_so_the_graph_is_one_lineage() -> None:
    deps = {key.to_user_string() for key in ichigen_dbt_assets.dependency_keys}
    assert "shopify_orders" in deps
    staged = ichigen_dbt_assets.asset_deps[
        next(k for k in ichigen_dbt_assets.keys if k.path == ["stg_shopify__orders"])
    ]
    assert {key.to_user_string() for key in staged} == {"shopify_orders"}


def test_every_source_gets_an_empty_part_until_its_first_load(tmp_path: Path) -> None:
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    made = ensure_landing_sources(tmp_path, manifest)
    assert tmp_path / "landing" / "shopify" / "orders" in made
    empty = pl.read_parquet(tmp_path / "landing" / "shopify" / "orders" / "_empty.parquet")
    assert empty.schema == LANDING_SCHEMA and empty.is_empty()
    assert ensure_landing_sources(tmp_path, manifest) == [], "only once"


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
    snapshot = publish_snapshot(warehouse, tmp_path / "serving")
    reader = duckdb.connect(str(snapshot), read_only=True)
    assert reader.execute("select count(*) from fct_orders").fetchone() == (3,)
    tables = {
        t for (t,) in reader.execute("select table_name from information_schema.tables").fetchall()
    }
    assert tables == {"fct_orders"}, "only the marts' tables"
    _warehouse(warehouse, 5)
    publish_snapshot(warehouse, tmp_path / "serving")
    assert reader.execute("select count(*) from fct_orders").fetchone() == (3,)
    reader.close()
    with duckdb.connect(str(snapshot), read_only=True) as fresh:
        assert fresh.execute("select count(*) from fct_orders").fetchone() == (5,)
    assert sorted(p.name for p in (tmp_path / "serving").iterdir()) == ["current.duckdb"]

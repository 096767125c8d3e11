"""The Dagster code location loads, and its ingestion assets land what the channels hold."""

from __future__ import annotations

import polars as pl
import pytest

from ichigen.orchestration.definitions import INGEST_ASSETS, defs
from ichigen.orchestration.ingest_run import run_ingest
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings


def _pointed_at(sandbox: RunningSandbox, settings: Settings) -> Settings:
    env = {"ICHIGEN_DATA_DIR": str(settings.data_dir)}
    env |= sandbox.url_environment
    return load_settings(env, dotenv=False)


def test_the_definitions_load_with_jobs_schedules_and_checks() -> None:
    graph = defs.resolve_asset_graph()
    names = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"shopify_orders", "shopify_inventory_levels", "rakuten_orders"} <= names
    assert {a.key.to_user_string() for a in INGEST_ASSETS} <= names
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"orders_ingest_job", "stock_ingest_job", "shopify_ingest_job"} <= jobs
    schedules = {s.name: s.cron_schedule for s in defs.schedules or []}  # type: ignore[union-attr]
    assert schedules["orders_schedule"] == "*/15 * * * *"
    assert schedules["stock_schedule"] == "*/5 * * * *"
    checks = {key.name for key in graph.asset_check_keys}
    assert {"loses_nothing", "has_no_quarantined_records"} <= checks


def test_an_unknown_channel_is_refused_with_the_known_ones(settings: Settings) -> None:
    with pytest.raises(ValueError, match=r"choose one of .*shopify"):
        run_ingest(settings, channel="myspace")


def test_ingesting_shopify_twice_lands_every_order_once_after_dedupe(
    sandbox: RunningSandbox, settings: Settings, world: World
) -> None:
    pointed = _pointed_at(sandbox, settings)
    seen: list[str] = []
    first = run_ingest(pointed, channel="shopify", on_progress=lambda o: seen.append(o.asset))
    assert all(o.success for o in first), [o.error for o in first]
    assert seen[0] == "shopify_orders" and len(seen) == len(first)
    orders = next(o for o in first if o.asset == "shopify_orders")
    with world.lock:
        expected = world.visible_orders("shopify").height
    assert orders.received == orders.accepted + orders.quarantined == expected
    again = run_ingest(pointed, channel="shopify")
    assert all(o.success for o in again)
    landed = (
        pl.scan_parquet(pointed.data_dir / "landing" / "shopify" / "orders" / "*.parquet")
        .select("_record_key")
        .collect()
    )
    assert landed["_record_key"].n_unique() == expected

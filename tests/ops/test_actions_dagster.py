"""The actions' Dagster definitions load, and the stock sync job pushes what differs."""

from __future__ import annotations

import dagster as dg
import duckdb
import polars as pl
import pytest

from ichigen.ops import SYSTEM_USER, OpsStore
from ichigen.ops.stock_pushes import list_stock_pushes, record_stock_push
from ichigen.orchestration import actions
from ichigen.orchestration.resources import resources_from
from ichigen.sandbox.world import World
from ichigen.settings import Settings


def _definitions(settings: Settings) -> dg.Definitions:
    resources = {**resources_from(settings), **actions.ops_resources(settings)}
    return dg.Definitions.merge(actions.defs, dg.Definitions(resources=resources))


def test_the_definitions_load_with_their_jobs_schedules_and_sensor(settings: Settings) -> None:
    defs = _definitions(settings)
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"stock_sync_job", "dispatch_outbox_job", "follow_purchase_orders_job"} <= jobs
    schedules = {s.name: s.default_status for s in defs.schedules or []}
    assert schedules["stock_sync_schedule"] == dg.DefaultScheduleStatus.STOPPED
    assert "follow_purchase_orders_schedule" in schedules
    assert [s.name for s in defs.sensors or []] == ["dispatch_outbox_sensor"]


def test_the_sensor_asks_for_one_run_per_backlog(settings: Settings) -> None:
    ops = actions.OpsResource(data_dir=str(settings.data_dir))
    context = dg.build_sensor_context(resources={"ops": ops})
    assert isinstance(actions.dispatch_outbox_sensor(context), dg.SkipReason)
    record_stock_push(ops.store(), [("rakuten", "A", "WH-TOKYO", 1)], user="a", role="buyer")
    first = actions.dispatch_outbox_sensor(context)
    assert isinstance(first, dg.SensorResult) and len(first.run_requests or []) == 1
    again = dg.build_sensor_context(resources={"ops": ops}, cursor=first.cursor)
    assert isinstance(actions.dispatch_outbox_sensor(again), dg.SkipReason)


def _publish(settings: Settings, rows: pl.DataFrame) -> None:
    serving = settings.data_dir / "serving"
    serving.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(serving / "current.duckdb")) as con:
        con.register("rows", rows.to_arrow())
        con.execute("create table fct_channel_availability as select * from rows")


@pytest.mark.usefixtures("landed_shop")  # the targets learn Shopify items from it
def test_the_stock_sync_pushes_what_differs_as_the_system_user_and_not_twice(
    pointed: Settings, world: World
) -> None:
    with world.lock:
        sku = (
            world.tables["listings"]
            .filter((pl.col("channel") == "shopify") & (pl.col("location_id") == "WH-TOKYO"))
            .sort("sku")["sku"][0]
        )
    _publish(
        pointed,
        pl.DataFrame(
            {
                "channel": ["shopify", "shopify", "amazon"],
                "location_id": ["WH-TOKYO", "WH-TOKYO", "FBA-JP"],
                "sku": [sku, None, sku],  # Shopify levels the marts cannot name have no SKU
                "listed_quantity": [None, 4, 9],
                "quantity_to_tell": [11, 2, 3],
                "available_to_promise": [13, 4, 3],
                "safety_buffer_units": [2, 2, 0],
            },
            schema_overrides={"listed_quantity": pl.Int64},
        ),
    )
    defs = _definitions(pointed)
    job = defs.resolve_job_def("stock_sync_job")

    assert job.execute_in_process().success
    assert world.listing_quantity("shopify", sku, "WH-TOKYO") == 11
    pushes = list_stock_pushes(OpsStore.under(pointed.data_dir))
    assert pushes.select("channel", "sku", "status", "user_name", "push_reason").rows() == [
        ("shopify", sku, "accepted", SYSTEM_USER, "stock_sync")
    ]

    assert job.execute_in_process().success  # what was accepted stands for what Shopify shows
    assert list_stock_pushes(OpsStore.under(pointed.data_dir)).height == 1

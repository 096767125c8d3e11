"""The stock sync: push every listing that differs from what it should be told.

It takes the published snapshot's ``fct_channel_availability`` (never the warehouse being
built), keeps the listings a channel shows differently from ``quantity_to_tell``, and records
and dispatches them through the same API as a buyer's push, as `SYSTEM_USER` with the
``system`` role. Where the marts cannot say what a channel shows (a Shopify level whose
product has not landed carries no SKU), the quantity ichigen last had accepted there stands in,
so an unchanged listing is not pushed again every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from ichigen.ops.claims import DispatchReport
from ichigen.ops.dispatch import Connectors, dispatch
from ichigen.ops.roles import SYSTEM_USER, Role
from ichigen.ops.stock_pushes import (
    last_accepted_pushes,
    record_stock_push,
    stock_pushes_that_differ,
)
from ichigen.ops.store import OpsStore
from ichigen.ops.targets import ChannelTargets
from ichigen.paths import DataPaths
from ichigen.settings import Settings

__all__ = [
    "StockSyncReport",
    "plan_stock_sync",
    "read_availability",
    "sync_stock",
    "sync_stock_with_settings",
]


@dataclass
class StockSyncReport:
    planned: pl.DataFrame  # the preview that was recorded
    action_ids: list[str] = field(default_factory=list)
    dispatched: DispatchReport = field(default_factory=DispatchReport)


def read_availability(snapshot: Path) -> pl.DataFrame | None:
    """fct_channel_availability from the published snapshot; None before the first publish."""
    if not snapshot.exists():
        return None
    with duckdb.connect(str(snapshot), read_only=True) as con:
        cursor = con.execute(
            "select channel, location_id, sku, listed_quantity, quantity_to_tell, "
            "available_to_promise, safety_buffer_units from fct_channel_availability"
        )
        rows = cursor.fetchall()
    return pl.DataFrame(
        rows,
        schema={
            "channel": pl.String(),
            "location_id": pl.String(),
            "sku": pl.String(),
            "listed_quantity": pl.Int64(),
            "quantity_to_tell": pl.Int64(),
            "available_to_promise": pl.Int64(),
            "safety_buffer_units": pl.Int64(),
        },
        orient="row",
    )


def plan_stock_sync(
    availability: pl.DataFrame, *, last_pushed: pl.DataFrame, targets: ChannelTargets
) -> pl.DataFrame:
    """The preview of "all that differ", leaving out listings ichigen may not set (FBA)."""
    pushed = last_pushed.select(
        "channel", "location_id", "sku", pl.col("quantity").alias("_last_pushed")
    )
    known = (
        availability.filter(pl.col("sku").is_not_null())
        .join(pushed, on=["channel", "location_id", "sku"], how="left")
        .with_columns(pl.coalesce("listed_quantity", "_last_pushed").alias("listed_quantity"))
        .drop("_last_pushed")
    )
    pushable = [
        targets.is_pushable(channel, location)
        for channel, location in known.select("channel", "location_id").iter_rows()
    ]
    return stock_pushes_that_differ(known.filter(pl.Series(pushable, dtype=pl.Boolean)))


def sync_stock(
    store: OpsStore, connectors: Connectors, availability: pl.DataFrame
) -> StockSyncReport:
    """Record the differing listings as the system user and dispatch them."""
    planned = plan_stock_sync(
        availability, last_pushed=last_accepted_pushes(store), targets=connectors.targets
    )
    ids = record_stock_push(store, planned, user=SYSTEM_USER, role=Role.SYSTEM, reason="stock_sync")
    report = StockSyncReport(planned=planned, action_ids=ids)
    if ids:
        report.dispatched = dispatch(store, connectors, action_ids=ids)
    return report


def sync_stock_with_settings(settings: Settings) -> StockSyncReport | None:
    """`sync_stock` from the published snapshot; None when nothing is published yet."""
    availability = read_availability(DataPaths(settings.data_dir).snapshot)
    if availability is None:
        return None
    with Connectors.from_settings(settings) as connectors:
        return sync_stock(OpsStore.under(settings.data_dir), connectors, availability)

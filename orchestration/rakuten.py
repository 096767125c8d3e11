"""Rakuten's assets: orders (incremental) and inventories (a snapshot).

RMS cannot list a shop's items, so the inventory snapshot asks for every (manageNumber,
variantId) that Rakuten orders have named so far: an item that never sold on Rakuten is not
read until it does (the item API that lists them is not wired in yet).
"""

# No `from __future__ import annotations`: Dagster compares the context annotation itself.

from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ichigen.ingestion.rakuten.pull import ingest_inventories, ingest_orders
from ichigen.ops.rakuten_keys import landed_inventory_keys
from ichigen.orchestration.landing_assets import (
    INGEST_RETRY,
    landing_check_specs,
    landing_result,
    recording_failure,
)
from ichigen.orchestration.resources import LandingResource, RakutenResource

__all__ = ["ASSETS", "defs"]

_COMMON: dict[str, Any] = {
    "group_name": "rakuten",
    "kinds": {"python", "parquet"},
    "op_tags": {"channel": "rakuten"},
    "retry_policy": INGEST_RETRY,
}


@dg.asset(
    name="rakuten_orders",
    tags={"channel": "rakuten", "cadence": "orders"},
    check_specs=landing_check_specs("rakuten_orders"),
    description="Rakuten RMS orders (getOrder) landed under data/landing/rakuten/orders.",
    **_COMMON,
)
def rakuten_orders(
    context: AssetExecutionContext, landing: LandingResource, rakuten: RakutenResource
) -> dg.MaterializeResult:
    zone = landing.zone()
    with (
        recording_failure(context, zone, channel="rakuten", entity="orders", source=rakuten.url),
        rakuten.client() as client,
    ):
        return landing_result(ingest_orders(client, zone).manifest)


@dg.asset(
    name="rakuten_inventories",
    tags={"channel": "rakuten", "cadence": "stock"},
    deps=[rakuten_orders],
    check_specs=landing_check_specs("rakuten_inventories"),
    description="Rakuten stock per item variant (inventories bulk-get), a snapshot per load.",
    **_COMMON,
)
def rakuten_inventories(
    context: AssetExecutionContext, landing: LandingResource, rakuten: RakutenResource
) -> dg.MaterializeResult:
    zone = landing.zone()
    with recording_failure(
        context, zone, channel="rakuten", entity="inventories", source=rakuten.url
    ):
        keys = landed_inventory_keys(zone)
        with rakuten.client() as client:
            return landing_result(ingest_inventories(client, zone, keys))


ASSETS = [rakuten_orders, rakuten_inventories]
defs = dg.Definitions(assets=ASSETS)

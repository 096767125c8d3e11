"""Rakuten's assets: orders (incremental) and inventories (a snapshot).

RMS cannot list a shop's items, so the inventory snapshot asks for every (manageNumber,
variantId) that Rakuten orders have named so far: an item that never sold on Rakuten is not
read until it does (the item API that lists them is not wired in yet).
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from ichigen.ingestion.rakuten.pull import ingest_inventories, ingest_orders
from ichigen.ops.rakuten_keys import landed_inventory_keys
from ichigen.orchestration.landing_assets import INGEST_RETRY, landing_check_specs, landing_result
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
def rakuten_orders(landing: LandingResource, rakuten: RakutenResource) -> dg.MaterializeResult:
    with rakuten.client() as client:
        return landing_result(ingest_orders(client, landing.zone()).manifest)


@dg.asset(
    name="rakuten_inventories",
    tags={"channel": "rakuten", "cadence": "stock"},
    deps=[rakuten_orders],
    check_specs=landing_check_specs("rakuten_inventories"),
    description="Rakuten stock per item variant (inventories bulk-get), a snapshot per load.",
    **_COMMON,
)
def rakuten_inventories(landing: LandingResource, rakuten: RakutenResource) -> dg.MaterializeResult:
    zone = landing.zone()
    keys = landed_inventory_keys(zone)
    with rakuten.client() as client:
        return landing_result(ingest_inventories(client, zone, keys))


ASSETS = [rakuten_orders, rakuten_inventories]
defs = dg.Definitions(assets=ASSETS)

"""Rakuten's assets: orders (incremental) and inventories (a snapshot).

RMS cannot list a shop's items, so the inventory snapshot asks for every (manageNumber,
variantId) that Rakuten orders have named so far: an item that never sold on Rakuten is not
read until it does (the item API that lists them is not wired in yet).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg
import orjson

from ingestion.landing import LandingZone
from ingestion.rakuten import InventoryKey
from ingestion.rakuten_ingest import ingest_inventories, ingest_orders
from orchestration.landing_assets import INGEST_RETRY, landing_check_specs, landing_result
from orchestration.resources import LandingResource, RakutenResource

__all__ = ["ASSETS", "defs", "known_inventory_keys"]

_COMMON: dict[str, Any] = {
    "group_name": "rakuten",
    "kinds": {"python", "parquet"},
    "op_tags": {"channel": "rakuten"},
    "retry_policy": INGEST_RETRY,
}


def _keys_of(raw: str) -> Iterator[InventoryKey]:
    order = orjson.loads(raw)
    for package in order.get("PackageModelList") or []:
        for item in package.get("ItemModelList") or []:
            manage = str(item.get("manageNumber") or "").lower()
            for sku in item.get("SkuModelList") or []:
                if manage and sku.get("variantId"):
                    yield InventoryKey(manage, str(sku["variantId"]))


def known_inventory_keys(zone: LandingZone) -> list[InventoryKey]:
    """Every item variant that a landed Rakuten order names, in a stable order."""
    if not zone.entity_dir("rakuten", "orders").exists():
        return []
    raw = zone.scan("rakuten", "orders").select("_raw").collect()["_raw"]
    keys = {key for value in raw if value for key in _keys_of(value)}
    return sorted(keys, key=lambda k: (k.manage_number, k.variant_id))


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
    keys = known_inventory_keys(zone)
    with rakuten.client() as client:
        return landing_result(ingest_inventories(client, zone, keys))


ASSETS = [rakuten_orders, rakuten_inventories]
defs = dg.Definitions(assets=ASSETS)

"""Shopify's assets: orders, customers, locations and inventory levels, one load each."""

from __future__ import annotations

import dagster as dg

from ingestion.shopify_ingest import ingest_shopify
from orchestration.landing_assets import INGEST_RETRY, landing_check_specs, landing_result
from orchestration.resources import LandingResource, ShopifyResource

__all__ = ["ASSETS", "defs"]

# how often each entity is pulled (see orchestration.schedules)
_CADENCE = {
    "orders": "orders",
    "customers": "orders",
    "products": "daily",
    "locations": "daily",
    "inventory_levels": "stock",
}


def _asset(entity: str) -> dg.AssetsDefinition:
    name = f"shopify_{entity}"

    @dg.asset(
        name=name,
        group_name="shopify",
        kinds={"python", "parquet"},
        tags={"channel": "shopify", "cadence": _CADENCE[entity]},
        op_tags={"channel": "shopify", "cadence": _CADENCE[entity]},
        retry_policy=INGEST_RETRY,
        check_specs=landing_check_specs(name),
        description=f"Shopify {entity.replace('_', ' ')} landed under data/landing/shopify/.",
    )
    def _land(landing: LandingResource, shopify: ShopifyResource) -> dg.MaterializeResult:
        with shopify.client() as client:
            return landing_result(ingest_shopify(client, landing.zone(), entity))

    return _land


ASSETS = [_asset(entity) for entity in _CADENCE]
defs = dg.Definitions(assets=ASSETS)

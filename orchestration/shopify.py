"""Shopify's assets: orders, customers, locations and inventory levels, one load each."""

from __future__ import annotations

import dagster as dg

from ichigen.ingestion.shopify.pull import ingest_shopify
from ichigen.orchestration.api_assets import api_landing_assets

__all__ = ["ASSETS", "defs"]

# how often each entity is pulled (see orchestration.schedules)
_CADENCE = {
    "orders": "orders",
    "customers": "orders",
    "products": "daily",
    "locations": "daily",
    "inventory_levels": "stock",
}


ASSETS = api_landing_assets("shopify", _CADENCE, ingest_shopify)
defs = dg.Definitions(assets=ASSETS)

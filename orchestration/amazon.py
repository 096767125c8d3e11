"""Amazon's assets: orders with their items, refunds (finances API) and FBA stock."""

from __future__ import annotations

import dagster as dg

from ichigen.ingestion.amazon.pull import ENTITIES, ingest_amazon
from ichigen.orchestration.api_assets import api_landing_assets

__all__ = ["ASSETS", "defs"]

# how often each entity is pulled (see orchestration.schedules)
_CADENCE = {"orders": "orders", "refunds": "orders", "inventory_summaries": "stock"}
assert set(_CADENCE) == set(ENTITIES), "every Amazon entity has an asset"


ASSETS = api_landing_assets("amazon", _CADENCE, ingest_amazon)
defs = dg.Definitions(assets=ASSETS)

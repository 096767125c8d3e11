"""The supplier's assets: suppliers and catalogues (daily snapshots) and purchase orders.

Purchase orders are pulled with the orders cadence: their statuses (confirmed, shipped,
received) are what the buyers follow and what becomes on-order stock in the warehouse.
"""

from __future__ import annotations

import dagster as dg

from ichigen.ingestion.supplier.pull import ingest_supplier
from ichigen.orchestration.api_assets import api_landing_assets

__all__ = ["ASSETS", "defs"]

# how often each entity is pulled (see orchestration.schedules)
_CADENCE = {
    "suppliers": "daily",
    "catalogue": "daily",
    "purchase_orders": "orders",
}


ASSETS = api_landing_assets("supplier", _CADENCE, ingest_supplier)
defs = dg.Definitions(assets=ASSETS)

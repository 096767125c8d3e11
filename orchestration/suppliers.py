"""The supplier's assets: suppliers and catalogues (daily snapshots) and purchase orders.

Purchase orders are pulled with the orders cadence: their statuses (confirmed, shipped,
received) are what the buyers follow and what becomes on-order stock in the warehouse.
"""

from __future__ import annotations

import dagster as dg

from ingestion.supplier_ingest import ingest_supplier
from orchestration.landing_assets import INGEST_RETRY, landing_check_specs, landing_result
from orchestration.resources import LandingResource
from orchestration.supplier_resource import SupplierResource

__all__ = ["ASSETS", "defs"]

# how often each entity is pulled (see orchestration.schedules)
_CADENCE = {
    "suppliers": "daily",
    "catalogue": "daily",
    "purchase_orders": "orders",
}


def _asset(entity: str) -> dg.AssetsDefinition:
    name = f"supplier_{entity}"

    @dg.asset(
        name=name,
        group_name="supplier",
        kinds={"python", "parquet"},
        tags={"channel": "supplier", "cadence": _CADENCE[entity]},
        op_tags={"channel": "supplier", "cadence": _CADENCE[entity]},
        retry_policy=INGEST_RETRY,
        check_specs=landing_check_specs(name),
        description=f"Supplier {entity.replace('_', ' ')} landed under data/landing/supplier/.",
    )
    def _land(landing: LandingResource, supplier: SupplierResource) -> dg.MaterializeResult:
        with supplier.client() as client:
            return landing_result(ingest_supplier(client, landing.zone(), entity))

    return _land


ASSETS = [_asset(entity) for entity in _CADENCE]
defs = dg.Definitions(assets=ASSETS)

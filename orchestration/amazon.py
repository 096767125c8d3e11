"""Amazon's assets: orders with their items, refunds (finances API) and FBA stock."""

from __future__ import annotations

import dagster as dg

from ingestion.amazon_ingest import ENTITIES, ingest_amazon
from orchestration.landing_assets import INGEST_RETRY, landing_check_specs, landing_result
from orchestration.resources import AmazonResource, LandingResource

__all__ = ["ASSETS", "defs"]

# how often each entity is pulled (see orchestration.schedules)
_CADENCE = {"orders": "orders", "refunds": "orders", "inventory_summaries": "stock"}
assert set(_CADENCE) == set(ENTITIES), "every Amazon entity has an asset"


def _asset(entity: str) -> dg.AssetsDefinition:
    name = f"amazon_{entity}"

    @dg.asset(
        name=name,
        group_name="amazon",
        kinds={"python", "parquet"},
        tags={"channel": "amazon", "cadence": _CADENCE[entity]},
        op_tags={"channel": "amazon"},
        retry_policy=INGEST_RETRY,
        check_specs=landing_check_specs(name),
        description=f"Amazon {entity.replace('_', ' ')} landed under data/landing/amazon/.",
    )
    def _land(landing: LandingResource, amazon: AmazonResource) -> dg.MaterializeResult:
        with amazon.client() as client:
            return landing_result(ingest_amazon(client, landing.zone(), entity))

    return _land


ASSETS = [_asset(entity) for entity in _CADENCE]
defs = dg.Definitions(assets=ASSETS)

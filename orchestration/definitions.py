"""The Dagster code location: every domain's definitions merged, with shared resources."""

from __future__ import annotations

import dagster as dg

from orchestration import rakuten, schedules, shopify
from orchestration.resources import resources_from

__all__ = ["INGEST_ASSETS", "build_definitions", "defs"]

# Every landing asset, in an order that respects their dependencies (`oms ingest` runs them so).
INGEST_ASSETS: list[dg.AssetsDefinition] = [*shopify.ASSETS, *rakuten.ASSETS]


def build_definitions() -> dg.Definitions:
    return dg.Definitions.merge(
        shopify.defs,
        rakuten.defs,
        schedules.defs,
        dg.Definitions(resources=resources_from()),
    )


defs = build_definitions()

"""The Dagster code location: every domain's definitions merged, with shared resources.

The settings are read once, here at the top (`dagster dev -m ichigen.orchestration.definitions`),
and become the resources; below this module nothing reads them again.
"""

from __future__ import annotations

import dagster as dg

from ichigen.orchestration import (
    actions,
    amazon,
    files,
    forecasting,
    rakuten,
    schedules,
    shopify,
    suppliers,
    warehouse,
)
from ichigen.orchestration.ingest_assets import INGEST_ASSETS
from ichigen.orchestration.resources import resources_from
from ichigen.settings import Settings, load_settings

__all__ = ["INGEST_ASSETS", "build_definitions", "defs"]


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions.merge(
        shopify.defs,
        amazon.defs,
        rakuten.defs,
        files.defs,
        suppliers.defs,
        warehouse.defs,
        forecasting.defs,
        actions.defs,
        schedules.defs,
        dg.Definitions(
            resources={
                **resources_from(settings),
                **warehouse.warehouse_resources(settings),
                **actions.ops_resources(settings),
            }
        ),
    )


defs = build_definitions(load_settings())

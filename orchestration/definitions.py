"""The Dagster code location: every domain's definitions merged, with shared resources."""

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
from ichigen.settings import load_settings

__all__ = ["INGEST_ASSETS", "build_definitions", "defs"]


def build_definitions() -> dg.Definitions:
    settings = load_settings()
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


defs = build_definitions()

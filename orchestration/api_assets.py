"""Landing assets for an API channel: one asset per entity, each materialising one load.

Shopify, Amazon and the supplier are the same shape: a resource that builds the channel's
client, and an ingest function ``(client, zone, entity) -> LoadManifest``. Rakuten's two
entities differ (inventories need keys from landed orders), so it writes its own.
"""

# No `from __future__ import annotations`: Dagster compares the context annotation itself.

from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ichigen.ingestion.landing import LandingZone, LoadManifest
from ichigen.orchestration.landing_assets import (
    INGEST_RETRY,
    landing_check_specs,
    landing_result,
    recording_failure,
)

__all__ = ["api_landing_assets"]

Ingest = Callable[[Any, LandingZone, str], LoadManifest]


def api_landing_assets(
    channel: str, cadence: Mapping[str, str], ingest: Ingest
) -> list[dg.AssetsDefinition]:
    """``<channel>_<entity>`` for each entity, pulled with the cadence given for it.

    The channel's resource is the one named after the channel; it must have ``client()``
    returning a context manager.
    """

    def make(entity: str) -> dg.AssetsDefinition:
        name = f"{channel}_{entity}"

        @dg.asset(
            name=name,
            group_name=channel,
            kinds={"python", "parquet"},
            tags={"channel": channel, "cadence": cadence[entity]},
            op_tags={"channel": channel},
            retry_policy=INGEST_RETRY,
            check_specs=landing_check_specs(name),
            required_resource_keys={"landing", channel},
            description=(
                f"{channel.capitalize()} {entity.replace('_', ' ')} landed under "
                f"data/landing/{channel}/."
            ),
        )
        def _land(context: AssetExecutionContext) -> dg.MaterializeResult:
            zone = context.resources.landing.zone()
            resource = getattr(context.resources, channel)
            source = str(getattr(resource, "url", channel))
            with (
                recording_failure(context, zone, channel=channel, entity=entity, source=source),
                resource.client() as client,
            ):
                return landing_result(ingest(client, zone, entity))

        return _land

    return [make(entity) for entity in cadence]

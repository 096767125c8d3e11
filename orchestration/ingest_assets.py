"""Every landing asset, in an order that respects their dependencies (`oms ingest` runs them so).

Apart from `orchestration.definitions` so that a pull loads only the channels' modules: the
warehouse's (dagster-dbt, the dbt manifest) and the forecasts'
load while the channels are pulled (see `ichigen.cli.demo`).
"""

from __future__ import annotations

import dagster as dg

from ichigen.orchestration import amazon, files, rakuten, shopify, suppliers

__all__ = ["INGEST_ASSETS"]

INGEST_ASSETS: list[dg.AssetsDefinition] = [
    *suppliers.ASSETS,  # first: the file importers check items against its catalogue
    *shopify.ASSETS,
    *amazon.ASSETS,
    *rakuten.ASSETS,
    *files.ASSETS,
]

"""The Dagster resource of the supplier purchase-order API.

Kept apart from `orchestration.resources` so the supplier connector can be wired in on its
own; it imports nothing from there (`resources.supplier_resource` makes it from the settings),
so the two modules import in one direction only. It is registered under `RESOURCE_KEY`
(``supplier``), the name the supplier assets ask for.
"""

from __future__ import annotations

import dagster as dg

from ichigen.ingestion.supplier import DEFAULT_RATE_PER_S, SupplierClient

__all__ = ["RESOURCE_KEY", "SupplierResource"]

RESOURCE_KEY = "supplier"


class SupplierResource(dg.ConfigurableResource):
    """Where the supplier API is and the key to it; builds a `SupplierClient` per run."""

    url: str
    api_key: str
    rate_multiplier: float = 1.0

    def client(self) -> SupplierClient:
        return SupplierClient(
            self.url, self.api_key, rate_per_s=DEFAULT_RATE_PER_S * self.rate_multiplier
        )

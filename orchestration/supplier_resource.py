"""The Dagster resource of the supplier purchase-order API, configured from the environment.

Kept apart from `orchestration.resources` so the supplier connector can be wired in on its
own: `orchestration.definitions` registers `supplier_resource(settings)` under the key
``supplier``, which is the parameter name the supplier assets ask for.
"""

from __future__ import annotations

import dagster as dg

from ichigen.ingestion.supplier import DEFAULT_RATE_PER_S, SupplierClient
from ichigen.orchestration.resources import secret
from ichigen.settings import Settings, load_settings

__all__ = ["RESOURCE_KEY", "SupplierResource", "supplier_resource"]

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


def supplier_resource(settings: Settings | None = None) -> SupplierResource:
    """From `settings` (default: the environment); the key as an `EnvVar` reference when set,
    so Dagster shows the variable's name, never its value."""
    s = settings or load_settings()
    return SupplierResource(
        url=s.supplier.url,
        api_key=secret("ICHIGEN_SUPPLIER_API_KEY", s.supplier.api_key),
        rate_multiplier=s.rate_multiplier,
    )

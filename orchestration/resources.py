"""Dagster resources: the configuration of each client, wrapping the plain clients.

The clients (ingestion/) hold the logic; these classes only carry their configuration so that
Dagster shows it (secrets as environment-variable references, never as values) and build a
client per run. `resources_from` makes them from the settings the caller built once (the
Dagster definitions, `oms ingest`); they are then the only carrier of that configuration
below. The supplier's resource lives in `orchestration.supplier_resource`, which imports
nothing from here.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from ichigen.ingestion.amazon import AmazonClient, AmazonConfig
from ichigen.ingestion.amazon.rates import PUBLISHED_RATES
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import RakutenClient, RakutenRates
from ichigen.ingestion.shopify import ShopifyClient
from ichigen.orchestration.supplier_resource import RESOURCE_KEY, SupplierResource
from ichigen.paths import DataPaths
from ichigen.settings import Settings

__all__ = [
    "AmazonResource",
    "FileDropsResource",
    "LandingResource",
    "RakutenResource",
    "ShopifyResource",
    "resources_from",
    "secret",
    "supplier_resource",
]


def secret(name: str, default: str) -> str | dg.EnvVar:
    """An environment-variable reference where the variable is set, so Dagster never shows it."""
    return dg.EnvVar(name) if os.environ.get(name) else default


class LandingResource(dg.ConfigurableResource):
    """The landing zone and quarantine under the data directory."""

    data_dir: str

    def zone(self) -> LandingZone:
        paths = DataPaths(Path(self.data_dir))
        return LandingZone(paths.landing, quarantine_root=paths.quarantine)


class FileDropsResource(dg.ConfigurableResource):
    """The folders where stores, buyers and the warehouse system drop their files."""

    pos_dir: str
    wholesale_dir: str
    stock_dir: str
    pos_members_dir: str
    wholesale_mappings_dir: str | None = None  # None: the shipped example mappings


class ShopifyResource(dg.ConfigurableResource):
    url: str
    access_token: str
    api_version: str

    def client(self) -> ShopifyClient:
        return ShopifyClient(
            url=self.url, access_token=self.access_token, api_version=self.api_version
        )


class AmazonResource(dg.ConfigurableResource):
    url: str
    lwa_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    marketplace_id: str
    seller_id: str
    rate_multiplier: float = 1.0

    def client(self) -> AmazonClient:
        config = AmazonConfig(
            url=self.url,
            lwa_url=self.lwa_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
            marketplace_id=self.marketplace_id,
            seller_id=self.seller_id,
        )
        rates = {
            operation: (rate * self.rate_multiplier, burst)
            for operation, (rate, burst) in PUBLISHED_RATES.items()
        }
        return AmazonClient(config, rates=rates)


class RakutenResource(dg.ConfigurableResource):
    url: str
    service_secret: str
    license_key: str
    rate_multiplier: float = 1.0

    def client(self) -> RakutenClient:
        published = RakutenRates()
        rates = RakutenRates(
            **{
                name: getattr(published, name) * self.rate_multiplier
                for name in ("search_order", "get_order", "inventory_get", "inventory_upsert")
            }
        )
        return RakutenClient(
            base_url=self.url,
            service_secret=self.service_secret,
            license_key=self.license_key,
            rates=rates,
        )


def supplier_resource(settings: Settings) -> SupplierResource:
    """The supplier API's resource; the key as an `EnvVar` reference when the variable is set,
    so Dagster shows the variable's name, never its value."""
    return SupplierResource(
        url=settings.supplier.url,
        api_key=secret("ICHIGEN_SUPPLIER_API_KEY", settings.supplier.api_key.get_secret_value()),
        rate_multiplier=settings.rate_multiplier,
    )


def resources_from(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every ingestion resource, configured from `settings`."""
    s = settings
    return {
        RESOURCE_KEY: supplier_resource(s),
        "landing": LandingResource(data_dir=str(s.data_dir)),
        "drops": FileDropsResource(
            pos_dir=str(s.pos_drop_dir),
            wholesale_dir=str(s.wholesale_drop_dir),
            stock_dir=str(s.stock_drop_dir),
            pos_members_dir=str(s.pos_members_drop_dir),
            wholesale_mappings_dir=str(s.wholesale_mappings_dir)
            if s.wholesale_mappings_dir
            else None,
        ),
        "shopify": ShopifyResource(
            url=s.shopify.url,
            access_token=secret(
                "ICHIGEN_SHOPIFY_ACCESS_TOKEN", s.shopify.access_token.get_secret_value()
            ),
            api_version=s.shopify.api_version,
        ),
        "amazon": AmazonResource(
            url=s.amazon.url,
            lwa_url=s.amazon.lwa_url,
            client_id=s.amazon.client_id,
            client_secret=secret(
                "ICHIGEN_AMAZON_CLIENT_SECRET", s.amazon.client_secret.get_secret_value()
            ),
            refresh_token=secret(
                "ICHIGEN_AMAZON_REFRESH_TOKEN", s.amazon.refresh_token.get_secret_value()
            ),
            marketplace_id=s.amazon.marketplace_id,
            seller_id=s.amazon.seller_id,
            rate_multiplier=s.rate_multiplier,
        ),
        "rakuten": RakutenResource(
            url=s.rakuten.url,
            service_secret=secret(
                "ICHIGEN_RAKUTEN_SERVICE_SECRET", s.rakuten.service_secret.get_secret_value()
            ),
            license_key=secret(
                "ICHIGEN_RAKUTEN_LICENSE_KEY", s.rakuten.license_key.get_secret_value()
            ),
            rate_multiplier=s.rate_multiplier,
        ),
    }

"""Dagster resources: configuration from the environment, wrapping the plain clients.

The clients (ingestion/) hold the logic; these classes only carry their configuration so that
Dagster shows it (secrets as environment-variable references, never as values) and build a
client per run. Defaults come from `ichigen.settings`, which points every channel at the
sandbox on 127.0.0.1.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from ichigen.ingestion.amazon import AmazonClient
from ichigen.ingestion.amazon_rates import PUBLISHED_RATES
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import RakutenClient, RakutenRates
from ichigen.ingestion.shopify import ShopifyClient
from ichigen.settings import AmazonSettings, Settings, load_settings

__all__ = [
    "AmazonResource",
    "FileDropsResource",
    "LandingResource",
    "RakutenResource",
    "ShopifyResource",
    "resources_from",
    "secret",
]


def secret(name: str, default: str) -> str | dg.EnvVar:
    """An environment-variable reference where the variable is set, so Dagster never shows it."""
    return dg.EnvVar(name) if os.environ.get(name) else default


class LandingResource(dg.ConfigurableResource):
    """The landing zone and quarantine under the data directory."""

    data_dir: str

    def zone(self) -> LandingZone:
        root = Path(self.data_dir)
        return LandingZone(root / "landing", quarantine_root=root / "quarantine")


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
        settings = AmazonSettings(
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
        return AmazonClient(settings, rates=rates)


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


def resources_from(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    """Every ingestion resource, configured from the environment (or `settings` in tests)."""
    from ichigen.orchestration.supplier_resource import supplier_resource  # it builds on `secret`

    s = settings or load_settings()
    return {
        "supplier": supplier_resource(s),
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
            access_token=secret("ICHIGEN_SHOPIFY_ACCESS_TOKEN", s.shopify.access_token),
            api_version=s.shopify.api_version,
        ),
        "amazon": AmazonResource(
            url=s.amazon.url,
            lwa_url=s.amazon.lwa_url,
            client_id=s.amazon.client_id,
            client_secret=secret("ICHIGEN_AMAZON_CLIENT_SECRET", s.amazon.client_secret),
            refresh_token=secret("ICHIGEN_AMAZON_REFRESH_TOKEN", s.amazon.refresh_token),
            marketplace_id=s.amazon.marketplace_id,
            seller_id=s.amazon.seller_id,
            rate_multiplier=s.rate_multiplier,
        ),
        "rakuten": RakutenResource(
            url=s.rakuten.url,
            service_secret=secret("ICHIGEN_RAKUTEN_SERVICE_SECRET", s.rakuten.service_secret),
            license_key=secret("ICHIGEN_RAKUTEN_LICENSE_KEY", s.rakuten.license_key),
            rate_multiplier=s.rate_multiplier,
        ),
    }

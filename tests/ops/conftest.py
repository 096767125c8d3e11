"""Fixtures of the ops tests: a store in a temporary data dir, connectors at the simulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from ichigen.ingestion.amazon import AmazonClient, AmazonConfig
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import InventoryKey, RakutenClient, RakutenRates
from ichigen.ingestion.shopify import ShopifyClient, ingest_shopify
from ichigen.ingestion.supplier import SupplierClient
from ichigen.ops import OpsStore
from ichigen.ops.dispatch import Connectors
from ichigen.ops.targets import LOCATIONS_SEED, ChannelTargets
from ichigen.paths import DataPaths
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings


@pytest.fixture
def store(tmp_path: Path) -> OpsStore:
    return OpsStore.under(tmp_path / "data")


@pytest.fixture
def pointed(sandbox: RunningSandbox, settings: Settings) -> Settings:
    """Settings that reach the running simulators."""
    env = {"ICHIGEN_DATA_DIR": str(settings.data_dir)}
    env |= sandbox.url_environment
    return load_settings(env, dotenv=False)


@pytest.fixture
def landed_shop(pointed: Settings) -> Settings:
    """The simulated shop's products landed under the data dir, as a Shopify ingest lands them:
    the targets learn each SKU's inventory item from them."""
    paths = DataPaths(pointed.data_dir)
    with Connectors.from_settings(pointed) as live:
        assert live.shopify is not None
        zone = LandingZone(paths.landing, quarantine_root=paths.quarantine)
        ingest_shopify(live.shopify, zone, "products")
    return pointed


def rakuten_keys(world: World) -> dict[str, InventoryKey]:
    """What landed Rakuten data would teach the targets (read from the world, for speed)."""
    with world.lock:
        skus = world.tables["skus"].join(
            world.tables["products"].select("product_id", "rakuten_manage_number"), on="product_id"
        )
    skus = skus.filter(pl.col("rakuten_variant_id").is_not_null())
    return {
        row["sku"]: InventoryKey(row["rakuten_manage_number"].lower(), row["rakuten_variant_id"])
        for row in skus.iter_rows(named=True)
    }


@pytest.fixture
def connectors(pointed: Settings, world: World, landed_shop: Settings) -> Iterator[Connectors]:
    fast = RetryPolicy(max_attempts=3)
    targets = ChannelTargets.load(pointed.data_dir, locations_seed=LOCATIONS_SEED)
    targets.rakuten_keys = rakuten_keys(world)
    connectors = Connectors(
        shopify=ShopifyClient(
            url=pointed.shopify.url,
            access_token=pointed.shopify.access_token.get_secret_value(),
            api_version=pointed.shopify.api_version,
            leak_per_s=40.0,
            burst=40,
            retry=fast,
        ),
        amazon=AmazonClient(
            AmazonConfig(
                url=pointed.amazon.url,
                lwa_url=pointed.amazon.lwa_url,
                client_id=pointed.amazon.client_id,
                client_secret=pointed.amazon.client_secret.get_secret_value(),
                refresh_token=pointed.amazon.refresh_token.get_secret_value(),
                marketplace_id=pointed.amazon.marketplace_id,
                seller_id=pointed.amazon.seller_id,
            ),
            retry=fast,
        ),
        rakuten=RakutenClient(
            base_url=pointed.rakuten.url,
            service_secret=pointed.rakuten.service_secret.get_secret_value(),
            license_key=pointed.rakuten.license_key.get_secret_value(),
            rates=RakutenRates(inventory_upsert=50.0),
            retry=fast,
        ),
        supplier=SupplierClient(
            pointed.supplier.url, pointed.supplier.api_key.get_secret_value(), retry=fast
        ),
        targets=targets,
    )
    with connectors:
        yield connectors

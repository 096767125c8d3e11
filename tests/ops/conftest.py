"""Fixtures of the ops tests: a store in a temporary data dir, connectors at the simulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from ichigen.ingestion.amazon import AmazonClient
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.rakuten import InventoryKey, RakutenClient, RakutenRates
from ichigen.ingestion.shopify import ShopifyClient
from ichigen.ingestion.supplier import SupplierClient
from ichigen.ops import OpsStore
from ichigen.ops.dispatch import Connectors
from ichigen.ops.targets import LOCATIONS_SEED, ChannelTargets
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
def connectors(pointed: Settings, world: World) -> Iterator[Connectors]:
    fast = RetryPolicy(max_attempts=3)
    targets = ChannelTargets.load(pointed.data_dir, locations_seed=LOCATIONS_SEED)
    targets.rakuten_keys = rakuten_keys(world)
    connectors = Connectors(
        shopify=ShopifyClient(pointed.shopify, leak_per_s=40.0, burst=40, retry=fast),
        amazon=AmazonClient(pointed.amazon, retry=fast),
        rakuten=RakutenClient.from_settings(
            pointed.rakuten, rates=RakutenRates(inventory_upsert=50.0), retry=fast
        ),
        supplier=SupplierClient.from_settings(pointed.supplier, retry=fast),
        targets=targets,
    )
    with connectors:
        yield connectors

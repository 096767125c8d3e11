"""Where a push goes: Shopify's inventory items are read from the landed products, and they are
the items the shop itself lists (what the targets fetched from the shop before)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.shopify import ShopifyClient
from ichigen.ops.dispatch import Connectors
from ichigen.ops.targets import ChannelTargets, shopify_inventory_items
from ichigen.paths import DataPaths
from ichigen.settings import Settings


def _items_the_shop_lists(client: ShopifyClient) -> dict[str, int]:
    """SKU -> inventory item id over every product variant of the shop, as the targets read
    them live from the shop until its products were landed."""
    items: dict[str, int] = {}
    for page in client.products():
        for product in page:
            for variant in product.get("variants") or []:
                sku, item = variant.get("sku"), variant.get("inventory_item_id")
                if sku and item is not None:
                    items[str(sku)] = int(item)
    return items


def test_the_landed_products_name_the_same_inventory_items_as_the_shop(
    landed_shop: Settings,
) -> None:
    with Connectors.from_settings(landed_shop) as connectors:
        assert connectors.shopify is not None
        listed = _items_the_shop_lists(connectors.shopify)
        targets = connectors.targets
    assert len(listed) > 10
    assert targets.shopify_items == listed
    sku, item = sorted(listed.items())[0]
    location_id, shopify_location = next(iter(targets.shopify_locations.items()))
    assert targets.shopify(sku, location_id) == (shopify_location, item)


def _product(updated: str, *variants: tuple[str | None, int | None]) -> dict[str, Any]:
    return {
        "id": 7,
        "title": "Tote",
        "updated_at": updated,
        "variants": [{"sku": sku, "inventory_item_id": item} for sku, item in variants],
    }


def test_the_latest_landed_version_of_a_product_says_which_items_it_has(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    zone = LandingZone(paths.landing, quarantine_root=paths.quarantine)
    assert shopify_inventory_items(zone) == {}  # nothing landed yet
    versions = [
        _product("2026-03-02T09:00:00+09:00", ("TOTE-M", 702), ("TOTE-L", 703), (None, 709)),
        # landed later, but an older version of the product: it does not count
        _product("2026-03-01T09:00:00+09:00", ("TOTE-S", 701), ("TOTE-M", 799)),
    ]
    for product in versions:
        with zone.open_load("shopify", "products", source="test") as load:
            load.add(
                [product],
                key=lambda p: str(p["id"]),
                updated_at=lambda p: datetime.fromisoformat(p["updated_at"]).astimezone(UTC),
            )
            load.commit()

    assert shopify_inventory_items(zone) == {"TOTE-M": 702, "TOTE-L": 703}
    assert ChannelTargets.load(tmp_path).shopify_items == {"TOTE-M": 702, "TOTE-L": 703}

"""Where a stock push goes: ichigen's (channel, SKU, location) as each channel names it.

- Shopify sets a level per (Shopify location id, inventory item id): locations come from the
  locations table (the snapshot's ``dim_locations``, else the dbt seed it is built from, the
  one place the mapping lives); inventory items from the shop's own product variants, read
  once per dispatch (the warehouse does not land Shopify products yet);
- Rakuten sets stock per (manageNumber, variantId): RMS cannot look an SKU up, so the keys are
  those Rakuten itself has shown us in landed inventories and orders (the shop's variant ids
  are its SKUs in lower case, as ``int_channel_listings`` reads them);
- Amazon sets the merchant-fulfilled quantity by seller SKU; FBA stock is Amazon's to count,
  so a push to a location of kind ``fba`` is refused.

A listing that cannot be resolved is an `UnknownTargetError`: the dispatcher records the push
as rejected with that reason, rather than guessing an id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb
import orjson
import polars as pl

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import InventoryKey
from ichigen.ingestion.shopify import ShopifyClient

__all__ = ["LOCATIONS_SEED", "ChannelTargets", "UnknownTargetError", "rakuten_keys_from_landing"]

LOCATIONS_SEED: Final = (
    Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "inventory_locations.csv"
)


class UnknownTargetError(LookupError):
    """The channel has no listing we can name for this SKU and location."""


@dataclass
class ChannelTargets:
    """Channel ids for ichigen's SKUs and locations; see the module docstring."""

    shopify_locations: Mapping[str, int] = field(default_factory=dict)
    fba_locations: frozenset[str] = frozenset()
    rakuten_keys: Mapping[str, InventoryKey] = field(default_factory=dict)
    # sku -> inventory item id; None: read from the shop on first use
    shopify_items: Mapping[str, int] | None = None

    @classmethod
    def load(
        cls,
        data_dir: Path,
        *,
        snapshot: Path | None = None,
        locations_seed: Path = LOCATIONS_SEED,
    ) -> ChannelTargets:
        """From the published snapshot (or the seed) and the landing zone under `data_dir`."""
        locations = _locations(snapshot or data_dir / "serving" / "current.duckdb", locations_seed)
        shopify = {
            str(row["location_id"]): int(row["shopify_location_id"])
            for row in locations.iter_rows(named=True)
            if row["shopify_location_id"] is not None
        }
        fba = frozenset(locations.filter(pl.col("kind") == "fba")["location_id"].to_list())
        zone = LandingZone(data_dir / "landing", quarantine_root=data_dir / "quarantine")
        return cls(
            shopify_locations=shopify,
            fba_locations=fba,
            rakuten_keys=rakuten_keys_from_landing(zone),
        )

    def is_pushable(self, channel: str, location_id: str) -> bool:
        """Whether ichigen may set this channel's quantity at this location at all."""
        return not (channel == "amazon" and location_id in self.fba_locations)

    def shopify(self, client: ShopifyClient, sku: str, location_id: str) -> tuple[int, int]:
        """(Shopify location id, inventory item id)."""
        location = self.shopify_locations.get(location_id)
        if location is None:
            raise UnknownTargetError(f"Shopify has no location for {location_id}")
        if self.shopify_items is None:
            self.shopify_items = shopify_inventory_items(client)
        item = self.shopify_items.get(sku)
        if item is None:
            raise UnknownTargetError(f"the Shopify shop has no variant with SKU {sku}")
        return location, item

    def rakuten(self, sku: str) -> InventoryKey:
        key = self.rakuten_keys.get(sku) or self.rakuten_keys.get(sku.upper())
        if key is None:
            raise UnknownTargetError(
                f"no Rakuten item is known for SKU {sku}: keys are learnt from landed Rakuten "
                "inventories and orders (ingest Rakuten first)"
            )
        return key

    def amazon(self, sku: str, location_id: str) -> str:
        if not self.is_pushable("amazon", location_id):
            raise UnknownTargetError(
                f"{location_id} is fulfilled by Amazon, which counts that stock itself; only "
                "the merchant-fulfilled quantity can be set"
            )
        return sku


def _locations(snapshot: Path, seed: Path) -> pl.DataFrame:
    columns = ["location_id", "kind", "shopify_location_id"]
    if snapshot.exists():
        try:
            with duckdb.connect(str(snapshot), read_only=True) as con:
                rows = con.execute(
                    "select location_id, kind, shopify_location_id from dim_locations"
                ).fetchall()
            schema = {"location_id": pl.String(), "kind": pl.String()}
            return pl.DataFrame(
                rows, schema={**schema, "shopify_location_id": pl.Int64()}, orient="row"
            )
        except duckdb.Error:
            pass  # an older snapshot without the table: the seed says the same
    if not seed.exists():
        return pl.DataFrame(schema={c: pl.String() for c in columns})
    return pl.read_csv(seed, columns=columns, schema_overrides={"shopify_location_id": pl.Int64})


def rakuten_keys_from_landing(zone: LandingZone) -> dict[str, InventoryKey]:
    """SKU -> RMS key, from every landed Rakuten inventory entry and order line."""
    keys: dict[str, InventoryKey] = {}
    for entity, reader in (("orders", _order_keys), ("inventories", _inventory_key)):
        if not zone.entity_dir("rakuten", entity).exists():
            continue
        raw = zone.scan("rakuten", entity).select("_raw").collect()["_raw"]
        for value in raw:
            if value:
                for key in reader(orjson.loads(value)):
                    keys[key.variant_id.upper()] = key
    return keys


def _inventory_key(entry: Any) -> list[InventoryKey]:
    if not isinstance(entry, dict):
        return []
    manage, variant = entry.get("manageNumber"), entry.get("variantId")
    if manage and variant:
        return [InventoryKey(str(manage).lower(), str(variant))]
    return []


def _order_keys(order: Any) -> list[InventoryKey]:
    found = []
    for package in order.get("PackageModelList") or [] if isinstance(order, dict) else []:
        for item in package.get("ItemModelList") or []:
            manage = str(item.get("manageNumber") or "").lower()
            for sku in item.get("SkuModelList") or []:
                if manage and sku.get("variantId"):
                    found.append(InventoryKey(manage, str(sku["variantId"])))
    return found


def shopify_inventory_items(client: ShopifyClient) -> dict[str, int]:
    """SKU -> inventory item id, from every product variant of the shop."""
    items: dict[str, int] = {}
    for page in client.products():
        for product in page:
            for variant in product.get("variants") or []:
                sku, item = variant.get("sku"), variant.get("inventory_item_id")
                if sku and item is not None:
                    items[str(sku)] = int(item)
    return items

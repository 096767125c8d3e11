"""Where a stock push goes: ichigen's (channel, SKU, location) as each channel names it.

- Shopify sets a level per (Shopify location id, inventory item id): locations come from the
  locations table (the snapshot's ``dim_locations``, else the dbt seed it is built from, the
  one place the mapping lives); inventory items from the landed Shopify products (the latest
  version of each, as ``stg_shopify__product_variants`` reads them), not from the shop: the
  catalogue lands with every Shopify ingest;
- Rakuten sets stock per (manageNumber, variantId): RMS cannot look an SKU up, so the keys are
  those Rakuten itself has shown us in landed inventories and orders (`ichigen.ops.rakuten_keys`);
- Amazon sets the merchant-fulfilled quantity by seller SKU; FBA stock is Amazon's to count,
  so a push to a location of kind ``fba`` is refused.

A listing that cannot be resolved is an `UnknownTargetError`: the dispatcher records the push
as rejected with that reason, rather than guessing an id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb
import orjson
import polars as pl

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import InventoryKey
from ichigen.ops.rakuten_keys import inventory_keys_by_sku, landed_inventory_keys
from ichigen.paths import DataPaths

__all__ = ["LOCATIONS_SEED", "ChannelTargets", "UnknownTargetError", "shopify_inventory_items"]

# Through ichigen/dbt_project, so an installed ichigen finds it as the repository does.
LOCATIONS_SEED: Final = (
    Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "inventory_locations.csv"
)


class UnknownTargetError(LookupError):
    """The channel has no listing we can name for this SKU and location."""


@dataclass
class ChannelTargets:
    """Channel ids for ichigen's SKUs and locations; see the module docstring."""

    shopify_locations: Mapping[str, int] = field(default_factory=dict)
    fba_locations: frozenset[str] = frozenset()
    rakuten_keys: Mapping[str, InventoryKey] = field(default_factory=dict)
    shopify_items: Mapping[str, int] = field(default_factory=dict)  # sku -> inventory item id

    @classmethod
    def load(
        cls,
        data_dir: Path,
        *,
        snapshot: Path | None = None,
        locations_seed: Path = LOCATIONS_SEED,
    ) -> ChannelTargets:
        """From the published snapshot (or the seed) and the landing zone under `data_dir`."""
        paths = DataPaths(data_dir)
        locations = _locations(snapshot or paths.snapshot, locations_seed)
        shopify = {
            str(row["location_id"]): int(row["shopify_location_id"])
            for row in locations.iter_rows(named=True)
            if row["shopify_location_id"] is not None
        }
        fba = frozenset(locations.filter(pl.col("kind") == "fba")["location_id"].to_list())
        zone = LandingZone(paths.landing, quarantine_root=paths.quarantine)
        return cls(
            shopify_locations=shopify,
            fba_locations=fba,
            rakuten_keys=inventory_keys_by_sku(landed_inventory_keys(zone)),
            shopify_items=shopify_inventory_items(zone),
        )

    def is_pushable(self, channel: str, location_id: str) -> bool:
        """Whether ichigen may set this channel's quantity at this location at all."""
        return not (channel == "amazon" and location_id in self.fba_locations)

    def shopify(self, sku: str, location_id: str) -> tuple[int, int]:
        """(Shopify location id, inventory item id)."""
        location = self.shopify_locations.get(location_id)
        if location is None:
            raise UnknownTargetError(f"Shopify has no location for {location_id}")
        item = self.shopify_items.get(sku)
        if item is None:
            raise UnknownTargetError(
                f"no Shopify variant is known with SKU {sku}: inventory items are learnt from "
                "landed Shopify products (ingest Shopify first)"
            )
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


# The latest version of each landed product, ordered as the shop lists them (by id), ranked as
# dbt's `latest_version` macro ranks them.
_LATEST_PRODUCTS: Final = """
select _raw from (
    select
        _record_key,
        _raw,
        row_number() over (
            partition by _record_key
            order by _record_updated_at desc nulls last, _loaded_at desc, _load_id desc
        ) as version_rank
    from read_parquet(?)
)
where version_rank = 1
order by try_cast(_record_key as bigint) nulls last, _record_key
"""


def shopify_inventory_items(zone: LandingZone) -> dict[str, int]:
    """SKU -> inventory item id, from every variant of the latest version of each landed
    product (a variant without a SKU or an inventory item has no target)."""
    folder = zone.entity_dir("shopify", "products")
    if not any(folder.glob("*.parquet")):
        return {}
    with duckdb.connect() as con:
        rows = con.execute(_LATEST_PRODUCTS, [str(folder / "*.parquet")]).fetchall()
    items: dict[str, int] = {}
    for (raw,) in rows:
        product = orjson.loads(raw) if raw else None
        if not isinstance(product, dict):
            continue
        for variant in product.get("variants") or []:
            sku, item = variant.get("sku"), variant.get("inventory_item_id")
            if sku and item is not None:
                items[str(sku)] = int(item)
    return items

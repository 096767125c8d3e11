"""Rakuten's inventory keys: the (manageNumber, variantId) of each SKU, as Rakuten has shown them.

RMS can neither look a SKU up nor list a shop's items, so the keys are learnt from what landed:
every item variant a landed order names and every entry of a landed inventory snapshot. Manage
numbers are kept in lower case, and a key's SKU is its variant id in upper case (`sku_of`): the
shop's variant ids are its SKUs in lower case.

`landed_inventory_keys` is the one place the Python side works them out. The inventories asset
(`ichigen.orchestration.rakuten`) asks RMS for the stock of every key, and the dispatcher's
targets (`ichigen.ops.targets`) look up the key of a SKU to push.

Its SQL twin is dbt's ``int_channel_listings`` (over ``stg_rakuten__inventories``): a Rakuten
listing's ``sku`` is ``upper(variant_id)`` and its ``channel_item_id`` the landed record key
``<manageNumber in lower case>:<variantId>`` (`ichigen.ingestion.rakuten.pull`). A change to
one is a change to the other; tests/ops/test_rakuten_keys.py checks that they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import duckdb

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import InventoryKey

__all__ = ["inventory_keys_by_sku", "landed_inventory_keys", "sku_of"]

# Each entity's item variants, as (manage_number, variant_id). DuckDB streams the parts: reading
# the orders' JSON into Python held all of it at once (1.4 GiB of a large-tier ingest's peak,
# growing with every version ever landed).
_VARIANTS: Final = {
    "orders": """
        select
            lower(coalesce(json_extract_string(item, '$.manageNumber'), '')) as manage_number,
            unnest(json_extract_string(item, '$.SkuModelList[*].variantId')) as variant_id
        from (
            select unnest(json_extract(_raw, '$.PackageModelList[*].ItemModelList[*]')) as item
            from read_parquet(?)
        )
    """,
    "inventories": """
        select
            lower(coalesce(json_extract_string(_raw, '$.manageNumber'), '')) as manage_number,
            json_extract_string(_raw, '$.variantId') as variant_id
        from read_parquet(?)
    """,
}


def landed_inventory_keys(zone: LandingZone) -> list[InventoryKey]:
    """Every item variant that a landed Rakuten order or inventory names, once, in a stable
    order (by manage number, then variant id); every landed version counts."""
    parts = {
        entity: zone.entity_dir("rakuten", entity) / "*.parquet"
        for entity in _VARIANTS
        if any(zone.entity_dir("rakuten", entity).glob("*.parquet"))
    }
    if not parts:
        return []
    variants = " union all ".join(f"({_VARIANTS[entity]})" for entity in parts)
    sql = (
        f"select distinct manage_number, variant_id from ({variants}) "
        "where manage_number <> '' and variant_id is not null and variant_id <> '' "
        "order by manage_number, variant_id"
    )
    with duckdb.connect() as con:
        rows = con.execute(sql, [str(path) for path in parts.values()]).fetchall()
    return [InventoryKey(manage, variant) for manage, variant in rows]


def sku_of(key: InventoryKey) -> str:
    """The SKU a Rakuten item variant is (``int_channel_listings``: ``upper(variant_id)``)."""
    return key.variant_id.upper()


def inventory_keys_by_sku(keys: Iterable[InventoryKey]) -> dict[str, InventoryKey]:
    """SKU -> key; of two keys with the same SKU, the later one."""
    return {sku_of(key): key for key in keys}

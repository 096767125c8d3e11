"""Rakuten's assets: orders (incremental) and inventories (a snapshot).

RMS cannot list a shop's items, so the inventory snapshot asks for every (manageNumber,
variantId) that Rakuten orders have named so far: an item that never sold on Rakuten is not
read until it does (the item API that lists them is not wired in yet).
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import InventoryKey
from ichigen.ingestion.rakuten_ingest import ingest_inventories, ingest_orders
from ichigen.orchestration.landing_assets import INGEST_RETRY, landing_check_specs, landing_result
from ichigen.orchestration.resources import LandingResource, RakutenResource

__all__ = ["ASSETS", "defs", "known_inventory_keys"]

_COMMON: dict[str, Any] = {
    "group_name": "rakuten",
    "kinds": {"python", "parquet"},
    "op_tags": {"channel": "rakuten"},
    "retry_policy": INGEST_RETRY,
}


# The item variants every landed version of every order names. DuckDB streams the parts and
# keeps only the distinct keys: reading the orders' JSON into Python held all of it at once
# (1.4 GiB of a large-tier ingest's peak, growing with every version ever landed).
_KEYS_SQL = """
with items as (
    select unnest(json_extract(_raw, '$.PackageModelList[*].ItemModelList[*]')) as item
    from read_parquet(?)
),
variants as (
    select
        lower(coalesce(json_extract_string(item, '$.manageNumber'), '')) as manage_number,
        unnest(json_extract_string(item, '$.SkuModelList[*].variantId')) as variant_id
    from items
)
select distinct manage_number, variant_id
from variants
where manage_number <> '' and variant_id is not null and variant_id <> ''
order by manage_number, variant_id
"""


def known_inventory_keys(zone: LandingZone) -> list[InventoryKey]:
    """Every item variant that a landed Rakuten order names, in a stable order."""
    folder = zone.entity_dir("rakuten", "orders")
    if not any(folder.glob("*.parquet")):
        return []
    with duckdb.connect() as con:
        rows = con.execute(_KEYS_SQL, [str(folder / "*.parquet")]).fetchall()
    return [InventoryKey(manage, variant) for manage, variant in rows]


@dg.asset(
    name="rakuten_orders",
    tags={"channel": "rakuten", "cadence": "orders"},
    check_specs=landing_check_specs("rakuten_orders"),
    description="Rakuten RMS orders (getOrder) landed under data/landing/rakuten/orders.",
    **_COMMON,
)
def rakuten_orders(landing: LandingResource, rakuten: RakutenResource) -> dg.MaterializeResult:
    with rakuten.client() as client:
        return landing_result(ingest_orders(client, landing.zone()).manifest)


@dg.asset(
    name="rakuten_inventories",
    tags={"channel": "rakuten", "cadence": "stock"},
    deps=[rakuten_orders],
    check_specs=landing_check_specs("rakuten_inventories"),
    description="Rakuten stock per item variant (inventories bulk-get), a snapshot per load.",
    **_COMMON,
)
def rakuten_inventories(landing: LandingResource, rakuten: RakutenResource) -> dg.MaterializeResult:
    zone = landing.zone()
    keys = known_inventory_keys(zone)
    with rakuten.client() as client:
        return landing_result(ingest_inventories(client, zone, keys))


ASSETS = [rakuten_orders, rakuten_inventories]
defs = dg.Definitions(assets=ASSETS)

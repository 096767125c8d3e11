"""The shop's catalogue side as Shopify shows it: products with variants, locations, stock.

Stock on Shopify is an inventory level per (inventory item, location); the world keeps it as
listings of channel ``shopify`` per (SKU, location). SKUs carry their Shopify variant and
inventory item ids, locations their Shopify location id (null where Shopify does not know
the location, e.g. the FBA warehouse).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.shopify.format import (
    JST,
    gid,
    money,
    parse_timestamp,
    province,
    synthetic_id,
    timestamp,
)
from ichigen.sandbox.simulators.shopify.paging import bad_request
from ichigen.sandbox.world import World

__all__ = [
    "INVENTORY_FILTERS",
    "PRODUCT_FILTERS",
    "inventory_frame",
    "inventory_level_json",
    "location_json",
    "locations",
    "product_frame",
    "product_json",
]

PRODUCT_FILTERS: Final = (
    "ids",
    "since_id",
    "status",
    "created_at_min",
    "created_at_max",
    "updated_at_min",
    "updated_at_max",
)
INVENTORY_FILTERS: Final = ("location_ids", "inventory_item_ids", "updated_at_min")
# Products are set up in the shop (as drafts) this long before they go on sale.
_DRAFT_LEAD: Final = timedelta(days=30)
# Locations predate everything the sandbox generates.
_LOCATIONS_CREATED: Final = datetime(2020, 4, 1, 10, 0, tzinfo=JST).astimezone(UTC)


def _jst_midnight(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("Asia/Tokyo")
        .dt.convert_time_zone("UTC")
    )


def _ints(name: str, raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise bad_request(name, "Invalid value.") from None


def _when(name: str, raw: str) -> datetime:
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise bad_request(name, f"{raw!r} is not a valid date and time.") from None


def _time_filters(filters: dict[str, str], *columns: str) -> list[pl.Expr]:
    conditions = []
    for column in columns:
        if (low := filters.get(f"{column}_min")) is not None:
            conditions.append(pl.col(column) >= _when(f"{column}_min", low))
        if (high := filters.get(f"{column}_max")) is not None:
            conditions.append(pl.col(column) <= _when(f"{column}_max", high))
    return conditions


# --- products ------------------------------------------------------------------------------


def product_frame(world: World, filters: dict[str, str]) -> pl.DataFrame:
    """Products the shop has set up by the clock; call under `world.lock`."""
    now = world.now
    products = world.tables["products"].with_columns(
        pl.col("shopify_product_id").alias("id"),
        _jst_midnight("launched_on").alias("published_at"),
    )
    products = products.with_columns(
        (pl.col("published_at") - _DRAFT_LEAD).alias("created_at"),
    ).filter(pl.col("id").is_not_null() & (pl.col("created_at") <= now))
    products = products.with_columns(
        pl.when(pl.col("published_at") <= now)
        .then(pl.col("published_at"))
        .otherwise(None)
        .alias("published_at"),
    ).with_columns(
        pl.when(pl.col("published_at").is_not_null())
        .then(pl.lit("active"))
        .otherwise(pl.lit("draft"))
        .alias("status"),
        pl.coalesce("published_at", "created_at").alias("updated_at"),
    )
    conditions = _time_filters(filters, "created_at", "updated_at")
    if "ids" in filters:
        conditions.append(pl.col("id").is_in(_ints("ids", filters["ids"])))
    if "since_id" in filters:
        since = _ints("since_id", filters["since_id"])
        conditions.append(pl.col("id") > (since[0] if since else 0))
    if "status" in filters:
        conditions.append(pl.col("status").is_in(filters["status"].split(",")))
    if conditions:
        products = products.filter(*conditions)
    return products.with_columns(pl.col("id").alias("_k_id"))


def product_json(
    product: dict[str, Any], variants: list[dict[str, Any]], vendor: str | None
) -> dict[str, Any]:
    product_id = int(product["id"])
    handle = re.sub(r"[^a-z0-9]+", "-", str(product["title_en"] or "").lower()).strip("-")
    colours = list(dict.fromkeys(v["colour"] for v in variants))
    sizes = list(dict.fromkeys(v["size"] for v in variants))
    created = timestamp(product["created_at"])
    updated = timestamp(product["updated_at"])
    return {
        "id": product_id,
        "title": product["title"],
        "body_html": None,
        "vendor": vendor,
        "product_type": product["category"],
        "created_at": created,
        "handle": f"{handle}-{str(product['product_id']).lower()}",
        "updated_at": updated,
        "published_at": timestamp(product["published_at"]),
        "template_suffix": None,
        "published_scope": "global",
        "tags": product["category"] or "",
        "status": product["status"],
        "admin_graphql_api_id": gid("Product", product_id),
        "variants": [
            _variant_json(product_id, position, variant, created, updated)
            for position, variant in enumerate(variants, start=1)
        ],
        "options": [
            {
                "id": synthetic_id("option", product_id, name),
                "product_id": product_id,
                "name": name,
                "position": position,
                "values": values,
            }
            for position, (name, values) in enumerate((("Color", colours), ("Size", sizes)), 1)
        ],
        "images": [],
        "image": None,
    }


def _variant_json(
    product_id: int, position: int, sku: dict[str, Any], created: str | None, updated: str | None
) -> dict[str, Any]:
    variant_id = int(sku["shopify_variant_id"])
    quantity = int(sku.get("inventory_quantity") or 0)
    return {
        "id": variant_id,
        "product_id": product_id,
        "title": f"{sku['colour']} / {sku['size']}",
        "price": money(int(sku["price_jpy"])),
        "position": position,
        "inventory_policy": "deny",
        "compare_at_price": None,
        "option1": sku["colour"],
        "option2": sku["size"],
        "option3": None,
        "created_at": created,
        "updated_at": updated,
        "taxable": True,
        "barcode": sku["jan"],
        "fulfillment_service": "manual",
        "grams": 0,
        "inventory_management": "shopify",
        "requires_shipping": True,
        "sku": sku["sku"],
        "weight": 0.0,
        "weight_unit": "kg",
        "inventory_item_id": int(sku["shopify_inventory_item_id"]),
        "inventory_quantity": quantity,
        "old_inventory_quantity": quantity,
        "admin_graphql_api_id": gid("ProductVariant", variant_id),
        "image_id": None,
    }


# --- locations -----------------------------------------------------------------------------


def locations(world: World) -> pl.DataFrame:
    return (
        world.tables["locations"]
        .filter(pl.col("shopify_location_id").is_not_null())
        .sort("shopify_location_id")
    )


def location_json(row: dict[str, Any]) -> dict[str, Any]:
    location_id = int(row["shopify_location_id"])
    province_name, province_code = province(row["prefecture"])
    created = timestamp(_LOCATIONS_CREATED)
    return {
        "id": location_id,
        "name": row["name"],
        "address1": row["address"],
        "address2": None,
        "city": None,
        "zip": None,
        "province": province_name,
        "country": "JP",
        "phone": None,
        "created_at": created,
        "updated_at": created,
        "country_code": "JP",
        "country_name": "Japan",
        "province_code": province_code,
        "legacy": False,
        "active": True,
        "admin_graphql_api_id": gid("Location", location_id),
        "localized_country_name": "Japan",
        "localized_province_name": province_name,
    }


# --- inventory levels ----------------------------------------------------------------------


def inventory_frame(world: World, filters: dict[str, str]) -> pl.DataFrame:
    """Shopify inventory levels from the shop's listings; call under `world.lock`."""
    levels = (
        world.tables["listings"]
        .filter(pl.col("channel") == "shopify")
        .join(world.tables["skus"].select("sku", "shopify_inventory_item_id"), on="sku")
        .join(locations(world).select("location_id", "shopify_location_id"), on="location_id")
        .filter(pl.col("shopify_inventory_item_id").is_not_null())
        .rename(
            {
                "shopify_inventory_item_id": "inventory_item_id",
                "shopify_location_id": "shopify_location",
            }
        )
    )
    conditions = _time_filters(filters, "updated_at")
    if "location_ids" in filters:
        ids = _ints("location_ids", filters["location_ids"])
        conditions.append(pl.col("shopify_location").is_in(ids))
    if "inventory_item_ids" in filters:
        ids = _ints("inventory_item_ids", filters["inventory_item_ids"])
        conditions.append(pl.col("inventory_item_id").is_in(ids))
    if conditions:
        levels = levels.filter(*conditions)
    return levels.with_columns(
        pl.col("inventory_item_id").alias("_k_item"),
        pl.col("shopify_location").alias("_k_location"),
    )


def inventory_level_json(
    inventory_item_id: int, location_id: int, available: int, updated_at: datetime | None
) -> dict[str, Any]:
    return {
        "inventory_item_id": inventory_item_id,
        "location_id": location_id,
        "available": available,
        "updated_at": timestamp(updated_at),
        "admin_graphql_api_id": gid(
            "InventoryLevel", f"{location_id}?inventory_item_id={inventory_item_id}"
        ),
    }

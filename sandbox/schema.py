"""The sandbox world's tables: the contract between the generator and the simulators.

The generator (`sandbox.generator`) writes these tables as Parquet under
``$ICHIGEN_DATA_DIR/sandbox/world/``; the simulators (`sandbox.simulators`) load them into a
`sandbox.world.World` and serve them through each channel's API. Ground truth that the
pipeline must never read is written apart, under ``$ICHIGEN_DATA_DIR/sandbox/truth/``.

Conventions:
- money is integer JPY, prices are tax-inclusive (Japan's consumption tax, 10%), and the tax
  part of an amount is ``amount * 10 // 110``;
- timestamps are UTC (``pl.Datetime("us", "UTC")``); channels render them in JST as their
  real APIs do;
- an order's lifecycle is stored as the timestamps of its events, some of which may lie after
  the world's clock: the simulators only ever show what has happened by ``World.now``, so moving
  the clock forward reveals later updates exactly as a live channel would.
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = [
    "CHANNELS",
    "IDENTITIES",
    "INVENTORY",
    "LISTINGS",
    "LOCATIONS",
    "ORDERS",
    "ORDER_LINES",
    "PRODUCTS",
    "PURCHASE_ORDERS",
    "RETURNS",
    "RETURN_REASONS",
    "SKUS",
    "SUPPLIERS",
    "TABLES",
    "TRUTH_DEMAND",
    "TRUTH_IDENTITIES",
    "TRUTH_PERSONS",
    "TRUTH_STOCK",
    "TRUTH_TABLES",
]

UTC_TS: Final[pl.DataType] = pl.Datetime("us", "UTC")

CHANNELS: Final = ("shopify", "amazon", "rakuten", "pos", "wholesale")
RETURN_REASONS: Final = (
    "size",
    "defect",
    "changed_mind",
    "wrong_item",
    "damaged_in_transit",
    "not_as_described",
)

PRODUCTS: Final = pl.Schema(
    {
        "product_id": pl.String(),  # "P0001"
        "title": pl.String(),  # Japanese title, e.g. "リネンシャツ"
        "title_en": pl.String(),
        "category": pl.String(),  # tops, bottoms, outerwear, shoes, accessories, home
        "supplier_id": pl.String(),
        "launched_on": pl.Date(),  # no sales before this day; some launch mid-period
        "shopify_product_id": pl.Int64(),
        "rakuten_manage_number": pl.String(),  # Rakuten's product-level key (manageNumber)
    }
)

SKUS: Final = pl.Schema(
    {
        "sku": pl.String(),  # "P0001-NVY-M"
        "product_id": pl.String(),
        "colour": pl.String(),
        "size": pl.String(),  # "F" for one-size products
        "jan": pl.String(),  # 13-digit JAN barcode, what the POS scans
        "price_jpy": pl.Int64(),  # retail, tax-inclusive
        "wholesale_price_jpy": pl.Int64(),
        "cost_jpy": pl.Int64(),
        "moq": pl.Int32(),  # supplier's minimum order quantity, a multiple of case_pack
        "case_pack": pl.Int32(),
        "launched_on": pl.Date(),
        "shopify_variant_id": pl.Int64(),
        "shopify_inventory_item_id": pl.Int64(),
        "asin": pl.String(),
        "fnsku": pl.String(),
        "rakuten_variant_id": pl.String(),  # Rakuten's SKU-level key (variantId)
    }
)

SUPPLIERS: Final = pl.Schema(
    {
        "supplier_id": pl.String(),  # "SUP01"
        "name": pl.String(),
        "lead_time_days_mean": pl.Float64(),
        "lead_time_days_sd": pl.Float64(),
        "email": pl.String(),
    }
)

LOCATIONS: Final = pl.Schema(
    {
        "location_id": pl.String(),  # WH-TOKYO, WH-OSAKA, FBA-JP, ST-SHIBUYA, ...
        "name": pl.String(),
        "kind": pl.String(),  # warehouse | store | fba
        "shopify_location_id": pl.Int64(),  # null where Shopify does not know the location
        "prefecture": pl.String(),
        "address": pl.String(),
    }
)

# One row per identity a channel knows: the same person may appear under several of them.
IDENTITIES: Final = pl.Schema(
    {
        "identity_id": pl.String(),  # "<channel>:<channel_customer_id>", unique across channels
        "channel": pl.String(),
        "channel_customer_id": pl.String(),
        "email": pl.String(),  # as the channel shows it (masked relay on Amazon and Rakuten)
        "phone": pl.String(),  # in whatever format the customer typed it
        "family_name": pl.String(),  # kanji, kana or romaji, as the channel has it
        "given_name": pl.String(),
        "family_name_kana": pl.String(),  # Rakuten and POS collect the reading; else null
        "given_name_kana": pl.String(),
        "postal_code": pl.String(),  # "150-0041"
        "prefecture": pl.String(),
        "city": pl.String(),
        "address1": pl.String(),
        "company": pl.String(),  # wholesale buyers only
        "accepts_marketing": pl.Boolean(),
        "created_at": UTC_TS,
    }
)

ORDERS: Final = pl.Schema(
    {
        "order_id": pl.String(),  # the sandbox's own key, never shown by a channel
        "channel": pl.String(),
        "channel_order_id": pl.String(),  # Shopify numeric id, Amazon 503-..., Rakuten 3xxxxx-...
        "order_name": pl.String(),  # Shopify "#1001"; otherwise equal to channel_order_id
        "identity_id": pl.String(),  # null for POS walk-in sales
        "location_id": pl.String(),  # the location that fulfils (store for POS, FBA-JP for AFN)
        # credit_card | konbini | cod | bank_transfer | invoice | cash
        "payment_method": pl.String(),
        "promo_code": pl.String(),
        "created_at": UTC_TS,
        "paid_at": UTC_TS,  # null while awaiting payment, or never when cancelled unpaid
        "shipped_at": UTC_TS,
        "delivered_at": UTC_TS,
        "cancelled_at": UTC_TS,
        "cancel_reason": pl.String(),  # customer | payment_timeout | out_of_stock | fraud
        "note_updated_at": UTC_TS,  # a late edit (address/note change) after shipping; may be null
        "subtotal_jpy": pl.Int64(),  # sum of line unit_price * quantity
        "discount_jpy": pl.Int64(),
        "shipping_jpy": pl.Int64(),
        "tax_jpy": pl.Int64(),  # the tax part of total (prices are tax-inclusive)
        "total_jpy": pl.Int64(),  # subtotal - discount + shipping
    }
)

ORDER_LINES: Final = pl.Schema(
    {
        "order_id": pl.String(),
        "line_no": pl.Int32(),  # 1-based within the order
        "channel_line_id": pl.String(),  # Shopify line_item id, Amazon OrderItemId, ...
        "sku": pl.String(),
        "quantity": pl.Int32(),
        "unit_price_jpy": pl.Int64(),
        "discount_jpy": pl.Int64(),  # the line's share of the order discount
        "tax_jpy": pl.Int64(),
    }
)

RETURNS: Final = pl.Schema(
    {
        "return_id": pl.String(),
        "order_id": pl.String(),
        "line_no": pl.Int32(),
        "sku": pl.String(),
        "quantity": pl.Int32(),
        "reason": pl.String(),  # one of RETURN_REASONS
        "requested_at": UTC_TS,
        "refunded_at": UTC_TS,  # when the refund was issued; the channel shows it from then
        "refund_jpy": pl.Int64(),
        "restocked": pl.Boolean(),  # defective and damaged items are not put back on sale
    }
)

# Physical stock per SKU and location at the world's clock (what the warehouse system knows).
INVENTORY: Final = pl.Schema(
    {
        "sku": pl.String(),
        "location_id": pl.String(),
        "on_hand": pl.Int64(),
    }
)

# What each channel currently offers for sale. Before ichigen these were refreshed by hand once
# a week, so they drift from physical stock: the source of stockouts next to unsold stock.
LISTINGS: Final = pl.Schema(
    {
        "channel": pl.String(),  # shopify | amazon | rakuten
        "sku": pl.String(),
        # Shopify: per location; Amazon: FBA-JP and WH-TOKYO (MFN); Rakuten: WH-TOKYO
        "location_id": pl.String(),
        "quantity": pl.Int64(),
        "updated_at": UTC_TS,
    }
)

PURCHASE_ORDERS: Final = pl.Schema(
    {
        "po_id": pl.String(),
        "supplier_id": pl.String(),
        "sku": pl.String(),
        "location_id": pl.String(),  # where the goods are received
        "quantity": pl.Int32(),
        "ordered_at": UTC_TS,
        "confirmed_at": UTC_TS,
        "shipped_at": UTC_TS,
        "received_at": UTC_TS,  # may lie after the clock: still in transit
    }
)

TABLES: Final[dict[str, pl.Schema]] = {
    "products": PRODUCTS,
    "skus": SKUS,
    "suppliers": SUPPLIERS,
    "locations": LOCATIONS,
    "identities": IDENTITIES,
    "orders": ORDERS,
    "order_lines": ORDER_LINES,
    "returns": RETURNS,
    "inventory": INVENTORY,
    "listings": LISTINGS,
    "purchase_orders": PURCHASE_ORDERS,
}

# --- ground truth, under truth/: tests and benchmarks only ---------------------------------

TRUTH_PERSONS: Final = pl.Schema(
    {
        "person_id": pl.String(),
        "family_name": pl.String(),  # kanji
        "given_name": pl.String(),
        "family_name_kana": pl.String(),
        "given_name_kana": pl.String(),
        "family_name_romaji": pl.String(),
        "given_name_romaji": pl.String(),
        "email": pl.String(),  # canonical address
        "phone_e164": pl.String(),  # "+819012345678"
    }
)

TRUTH_IDENTITIES: Final = pl.Schema({"identity_id": pl.String(), "person_id": pl.String()})

# True daily demand per SKU, channel and location, including what was lost to stockouts.
TRUTH_DEMAND: Final = pl.Schema(
    {
        "date": pl.Date(),  # JST calendar day
        "sku": pl.String(),
        "channel": pl.String(),
        "location_id": pl.String(),
        "demand_units": pl.Int64(),
        "sold_units": pl.Int64(),
        "lost_units": pl.Int64(),
    }
)

TRUTH_STOCK: Final = pl.Schema(
    {"sku": pl.String(), "location_id": pl.String(), "on_hand": pl.Int64()}
)

TRUTH_TABLES: Final[dict[str, pl.Schema]] = {
    "persons": TRUTH_PERSONS,
    "identities": TRUTH_IDENTITIES,
    "demand": TRUTH_DEMAND,
    "stock": TRUTH_STOCK,
}

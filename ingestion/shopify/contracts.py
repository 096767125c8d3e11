"""What a landed Shopify record must satisfy, per entity, as Great Expectations contracts.

Orders are checked line by line (one row per line item, `_row` naming the order), so an order
with an unknown SKU is quarantined whole with the SKU it failed on. A line without a SKU is
kept: Shopify sells custom items, tips and gift cards that have none (the REST reference's own
example order of custom items, tests/fixtures/shopify/README.md), and staging keeps them as
lines that are not stock (`is_stock_line`). Amounts arrive
as strings ("12100"): each is checked twice, once that it is a decimal at all (the reason then
shows the bad text) and once that its value is in range. Times must be ISO 8601 with an offset,
which is what staging casts. Nulls pass the set and range checks (Great Expectations skips
them), so every field that must be present has its own not-null check.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final

import polars as pl

from ichigen.ingestion.contract_parts import (
    DECIMAL,
    ISO_TIMESTAMP,
    MAX_AMOUNT_JPY,
    MAX_QUANTITY,
    MAX_STOCK,
)
from ichigen.ingestion.contract_parts import count as _count
from ichigen.ingestion.contract_parts import expectations as _gx
from ichigen.ingestion.contract_parts import frame as _frame
from ichigen.ingestion.contract_parts import in_set as _in_set
from ichigen.ingestion.contract_parts import not_null as _not_null
from ichigen.ingestion.contract_parts import number as _amount
from ichigen.ingestion.contract_parts import text as _text
from ichigen.ingestion.contract_parts import timestamps as _timestamps
from ichigen.ingestion.validation import Contract

__all__ = [
    "DECIMAL",
    "FINANCIAL_STATUSES",
    "FULFILLMENT_STATUSES",
    "ISO_TIMESTAMP",
    "customers_contract",
    "inventory_levels_contract",
    "locations_contract",
    "orders_contract",
    "products_contract",
]

# Shopify's documented values (Order resource, Admin REST API).
FINANCIAL_STATUSES: Final = (
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
)
FULFILLMENT_STATUSES: Final = ("fulfilled", "partial", "restocked", "unfulfilled")
CURRENCIES: Final = ("JPY",)


def _money(text_column: str, value_column: str, *, low: float = 0) -> list[Any]:
    return [
        _gx().ExpectColumnValuesToMatchRegex(column=text_column, regex=DECIMAL),
        _gx().ExpectColumnValuesToBeBetween(
            column=value_column, min_value=low, max_value=MAX_AMOUNT_JPY
        ),
    ]


_ORDER_SCHEMA: Final[Mapping[str, pl.DataType]] = {
    "id": pl.String(),
    "financial_status": pl.String(),
    "fulfillment_status": pl.String(),
    "currency": pl.String(),
    "created_at": pl.String(),
    "updated_at": pl.String(),
    "total_price": pl.String(),
    "total_price_jpy": pl.Float64(),
    "line_id": pl.String(),
    "sku": pl.String(),
    "quantity": pl.Int64(),
    "price": pl.String(),
    "price_jpy": pl.Float64(),
}


def _order_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for index, order in enumerate(records):
        head = {
            "_row": index,
            "id": _text(order.get("id")),
            "financial_status": order.get("financial_status"),
            "fulfillment_status": order.get("fulfillment_status"),
            "currency": order.get("currency"),
            "created_at": order.get("created_at"),
            "updated_at": order.get("updated_at"),
            "total_price": _text(order.get("total_price")),
            "total_price_jpy": _amount(order.get("total_price")),
        }
        lines = order.get("line_items") or [{}]  # no lines: one row whose missing id fails
        for line in lines:
            rows.append(
                head
                | {
                    "line_id": _text(line.get("id")),
                    "sku": line.get("sku") or None,  # Shopify sends "" for an item without SKU
                    "quantity": _count(line.get("quantity")),
                    "price": _text(line.get("price")),
                    "price_jpy": _amount(line.get("price")),
                }
            )
    return _frame(rows, _ORDER_SCHEMA)


def orders_contract(catalogue: Collection[str] | None = None) -> Contract:
    """Orders with their line items; with a `catalogue`, every line's SKU must be in it (a
    line without SKU passes: it is not stock)."""
    return Contract(
        name="shopify.orders",
        extract=_order_rows,
        expectations=[
            *_not_null("id", "financial_status", "currency", "created_at", "updated_at"),
            *_not_null("total_price", "line_id", "quantity", "price"),
            _gx().ExpectColumnValuesToBeInSet(
                column="financial_status", value_set=list(FINANCIAL_STATUSES)
            ),
            _gx().ExpectColumnValuesToBeInSet(
                column="fulfillment_status", value_set=list(FULFILLMENT_STATUSES)
            ),
            _gx().ExpectColumnValuesToBeInSet(column="currency", value_set=list(CURRENCIES)),
            *_timestamps("created_at", "updated_at"),
            *_money("total_price", "total_price_jpy"),
            *_money("price", "price_jpy"),
            _gx().ExpectColumnValuesToBeBetween(
                column="quantity", min_value=1, max_value=MAX_QUANTITY
            ),
            # nulls pass a set check: a line without SKU is a non-stock line, not an error
            *([_in_set("sku", catalogue)] if catalogue is not None else []),
        ],
    )


def _flat(
    fields: Mapping[str, Callable[[Mapping[str, Any]], Any]],
    schema: Mapping[str, pl.DataType],
) -> Callable[[Sequence[Mapping[str, Any]]], pl.DataFrame]:
    """An extract for entities without nested lines: one row per record."""

    def extract(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
        rows = [
            {"_row": index, **{name: get(record) for name, get in fields.items()}}
            for index, record in enumerate(records)
        ]
        return _frame(rows, schema)

    return extract


def customers_contract() -> Contract:
    return Contract(
        name="shopify.customers",
        extract=_flat(
            {
                "id": lambda r: _text(r.get("id")),
                "created_at": lambda r: r.get("created_at"),
                "updated_at": lambda r: r.get("updated_at"),
                "orders_count": lambda r: _count(r.get("orders_count")),
                "total_spent": lambda r: _text(r.get("total_spent")),
                "total_spent_jpy": lambda r: _amount(r.get("total_spent")),
            },
            {
                "id": pl.String(),
                "created_at": pl.String(),
                "updated_at": pl.String(),
                "orders_count": pl.Int64(),
                "total_spent": pl.String(),
                "total_spent_jpy": pl.Float64(),
            },
        ),
        expectations=[
            *_not_null("id", "created_at", "updated_at"),
            *_timestamps("created_at", "updated_at"),
            _gx().ExpectColumnValuesToBeBetween(column="orders_count", min_value=0),
            *_money("total_spent", "total_spent_jpy"),
        ],
    )


def locations_contract() -> Contract:
    return Contract(
        name="shopify.locations",
        extract=_flat(
            {"id": lambda r: _text(r.get("id")), "name": lambda r: r.get("name")},
            {"id": pl.String(), "name": pl.String()},
        ),
        expectations=_not_null("id", "name"),
    )


def _variant_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for index, product in enumerate(records):
        head = {"_row": index, "id": _text(product.get("id")), "title": product.get("title")}
        for variant in product.get("variants") or [{}]:  # no variants: the missing SKU fails
            rows.append(
                head
                | {
                    "variant_id": _text(variant.get("id")),
                    "sku": variant.get("sku") or None,
                    "inventory_item_id": _text(variant.get("inventory_item_id")),
                    "price": _text(variant.get("price")),
                    "price_jpy": _amount(variant.get("price")),
                }
            )
    schema = {
        "id": pl.String(),
        "title": pl.String(),
        "variant_id": pl.String(),
        "sku": pl.String(),
        "inventory_item_id": pl.String(),
        "price": pl.String(),
        "price_jpy": pl.Float64(),
    }
    return _frame(rows, schema)


def products_contract() -> Contract:
    """A product and each of its variants: ids, a SKU, an inventory item and a price."""
    return Contract(
        name="shopify.products",
        extract=_variant_rows,
        expectations=[
            *_not_null("id", "title", "variant_id", "sku", "inventory_item_id"),
            *_money("price", "price_jpy"),
        ],
    )


def inventory_levels_contract() -> Contract:
    return Contract(
        name="shopify.inventory_levels",
        extract=_flat(
            {
                "inventory_item_id": lambda r: _text(r.get("inventory_item_id")),
                "location_id": lambda r: _text(r.get("location_id")),
                "available": lambda r: _count(r.get("available")),
                "updated_at": lambda r: r.get("updated_at"),
            },
            {
                "inventory_item_id": pl.String(),
                "location_id": pl.String(),
                "available": pl.Int64(),
                "updated_at": pl.String(),
            },
        ),
        expectations=[
            *_not_null("inventory_item_id", "location_id", "available", "updated_at"),
            # Shopify lets `available` go negative when a shop oversells: only garbage fails.
            _gx().ExpectColumnValuesToBeBetween(
                column="available", min_value=-MAX_STOCK, max_value=MAX_STOCK
            ),
            *_timestamps("updated_at"),
        ],
    )

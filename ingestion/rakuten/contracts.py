"""What landed Rakuten records must satisfy (Great Expectations contracts).

Orders are checked line by line (one row per item, or one row for an order without items):
an order whose line fails is quarantined whole. Returned units stay on the order with
``units`` reduced, possibly to 0, so 0 is a valid quantity here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

import polars as pl

from ichigen.ingestion.validation import Contract

__all__ = ["ORDER_PROGRESS", "inventory_contract", "order_contract"]

# 100 注文確認待ち ... 900 キャンセル確定, as RMS numbers them.
ORDER_PROGRESS: Final = (100, 200, 300, 400, 500, 600, 700, 800, 900)
RMS_DATETIME: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0900$"
MAX_UNITS: Final = 99_999
MAX_PRICE_JPY: Final = 100_000_000
# what getOrder shows for an amount not determined yet (the getOrder reference, "-9999")
NOT_DETERMINED: Final = -9999

_ORDER_SCHEMA: Final = {
    "_row": pl.Int64,
    "order_number": pl.String,
    "order_progress": pl.Int64,
    "ordered_at": pl.String,
    "request_price": pl.Int64,
    "sku": pl.String,
    "units": pl.Int64,
    "price": pl.Int64,
}


def _int(value: Any) -> int | None:
    """An integer field, or None when RMS sent something else (the contract then says so)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _amount(value: Any) -> int | None:
    """An amount field; RMS's -9999 ("not determined yet": postage or the COD fee of an order
    awaiting confirmation) is an amount not known yet, not a bad one."""
    amount = _int(value)
    return None if amount == NOT_DETERMINED else amount


def _order_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for index, order in enumerate(records):
        head = {
            "_row": index,
            "order_number": order.get("orderNumber") or None,
            "order_progress": _int(order.get("orderProgress")),
            "ordered_at": order.get("orderDatetime"),
            "request_price": _amount(order.get("requestPrice")),
        }
        items = [
            item
            for package in order.get("PackageModelList") or []
            for item in package.get("ItemModelList") or []
        ]
        if not items:
            rows.append({**head, "sku": None, "units": None, "price": None})
        for item in items:
            skus = item.get("SkuModelList") or [{}]
            rows.append(
                {
                    **head,
                    "sku": skus[0].get("merchantDefinedSkuId"),
                    "units": _int(item.get("units")),
                    "price": _int(item.get("price")),
                }
            )
    return pl.DataFrame(rows, schema=_ORDER_SCHEMA)


def order_contract(*, known_skus: Collection[str] | None = None) -> Contract:
    """getOrder's OrderModel; with `known_skus`, every item's SKU must be one of them."""
    import great_expectations as gx

    expect: Any = gx.expectations  # its stubs export the classes implicitly only
    expectations: list[Any] = [
        expect.ExpectColumnValuesToNotBeNull(column="order_number"),
        expect.ExpectColumnValuesToBeInSet(column="order_progress", value_set=list(ORDER_PROGRESS)),
        expect.ExpectColumnValuesToNotBeNull(column="order_progress"),
        expect.ExpectColumnValuesToNotBeNull(column="ordered_at"),
        expect.ExpectColumnValuesToMatchRegex(column="ordered_at", regex=RMS_DATETIME),
        expect.ExpectColumnValuesToBeBetween(
            column="request_price", min_value=0, max_value=MAX_PRICE_JPY
        ),
        expect.ExpectColumnValuesToBeBetween(column="units", min_value=0, max_value=MAX_UNITS),
        expect.ExpectColumnValuesToBeBetween(column="price", min_value=0, max_value=MAX_PRICE_JPY),
    ]
    if known_skus is not None:
        expectations.append(
            expect.ExpectColumnValuesToBeInSet(column="sku", value_set=sorted(set(known_skus)))
        )
    return Contract(name="rakuten.orders", extract=_order_rows, expectations=expectations)


def _inventory_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "_row": index,
                "key": f"{entry.get('manageNumber')}:{entry.get('variantId')}"
                if entry.get("manageNumber") and entry.get("variantId")
                else None,
                "variant_id": entry.get("variantId"),
                "quantity": _int(entry.get("quantity")),
            }
            for index, entry in enumerate(records)
        ],
        schema={"_row": pl.Int64, "key": pl.String, "variant_id": pl.String, "quantity": pl.Int64},
    )


def inventory_contract(*, known_variants: Collection[str] | None = None) -> Contract:
    """InventoryAPI 2.0 entries; with `known_variants`, each variantId must be one of them."""
    import great_expectations as gx

    expect: Any = gx.expectations  # its stubs export the classes implicitly only
    expectations: list[Any] = [
        expect.ExpectColumnValuesToNotBeNull(column="key"),
        expect.ExpectColumnValuesToNotBeNull(column="quantity"),
        expect.ExpectColumnValuesToBeBetween(column="quantity", min_value=0, max_value=MAX_UNITS),
    ]
    if known_variants is not None:
        expectations.append(
            expect.ExpectColumnValuesToBeInSet(
                column="variant_id", value_set=sorted(set(known_variants))
            )
        )
    return Contract(name="rakuten.inventories", extract=_inventory_rows, expectations=expectations)

"""What a landed Amazon record must satisfy, per entity, as Great Expectations contracts.

Orders land with their items embedded (``OrderItems``) and are checked item by item, so an
order with an unknown or missing SKU is quarantined whole, with the SKU it failed on. Refund
events are checked per adjusted item and charge: what goes back to the buyer (``Principal``,
``Tax``) is negative, while a charge the buyer pays on a return (a ``RestockingFee``, a
``PointsFee``) is positive and is the seller's to keep, so any other charge may have either
sign (staging decomposes them). Amounts in the Orders API are strings
(``{"CurrencyCode": "JPY", "Amount": "4400"}``): each is checked to be a decimal (the reason
then shows the bad text) and to be in range. Pending and cancelled orders carry no
``OrderTotal`` and their items no prices, as on Amazon, so those fields may be null; the
fields that must always be there have their own not-null checks (Great Expectations skips
nulls in set and range checks).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final

import polars as pl

from ichigen.ingestion.contract_parts import (
    MAX_AMOUNT_JPY,
    MAX_QUANTITY,
    MAX_STOCK,
)
from ichigen.ingestion.contract_parts import between as _between
from ichigen.ingestion.contract_parts import count as _count
from ichigen.ingestion.contract_parts import decimal as _decimal
from ichigen.ingestion.contract_parts import frame as _frame
from ichigen.ingestion.contract_parts import in_set as _in
from ichigen.ingestion.contract_parts import not_null as _not_null
from ichigen.ingestion.contract_parts import number as _number
from ichigen.ingestion.contract_parts import skus as _skus
from ichigen.ingestion.contract_parts import text as _text
from ichigen.ingestion.contract_parts import timestamps as _timestamps
from ichigen.ingestion.validation import Contract

__all__ = [
    "ORDER_STATUSES",
    "inventory_summaries_contract",
    "orders_contract",
    "refunds_contract",
]

# The Orders API's documented OrderStatus values.
ORDER_STATUSES: Final = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)
CURRENCIES: Final = ("JPY",)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


# --- orders, with their items -----------------------------------------------------------------

_ORDER_SCHEMA: Final[Mapping[str, pl.DataType]] = {
    "AmazonOrderId": pl.String(),
    "OrderStatus": pl.String(),
    "PurchaseDate": pl.String(),
    "LastUpdateDate": pl.String(),
    "order_currency": pl.String(),
    "order_total": pl.String(),
    "order_total_jpy": pl.Float64(),
    "OrderItemId": pl.String(),
    "sku": pl.String(),
    "QuantityOrdered": pl.Int64(),
    "item_currency": pl.String(),
    "item_price": pl.String(),
    "item_price_jpy": pl.Float64(),
}


def _order_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for index, order in enumerate(records):
        total = _dict(order.get("OrderTotal"))
        head = {
            "_row": index,
            "AmazonOrderId": _text(order.get("AmazonOrderId")),
            "OrderStatus": _text(order.get("OrderStatus")),
            "PurchaseDate": _text(order.get("PurchaseDate")),
            "LastUpdateDate": _text(order.get("LastUpdateDate")),
            "order_currency": _text(total.get("CurrencyCode")),
            "order_total": _text(total.get("Amount")),
            "order_total_jpy": _number(total.get("Amount")),
        }
        items = order.get("OrderItems") or [{}]  # no items: one row whose missing SKU fails
        for item in items:
            price = _dict(item.get("ItemPrice"))
            rows.append(
                head
                | {
                    "OrderItemId": _text(item.get("OrderItemId")),
                    "sku": _text(item.get("SellerSKU")),
                    "QuantityOrdered": _count(item.get("QuantityOrdered")),
                    "item_currency": _text(price.get("CurrencyCode")),
                    "item_price": _text(price.get("Amount")),
                    "item_price_jpy": _number(price.get("Amount")),
                }
            )
    return _frame(rows, _ORDER_SCHEMA)


def orders_contract(catalogue: Collection[str] | None = None) -> Contract:
    """Orders with embedded items; with a `catalogue`, every item's SKU must be in it."""
    return Contract(
        name="amazon.orders",
        extract=_order_rows,
        expectations=[
            *_not_null("AmazonOrderId", "OrderStatus", "PurchaseDate", "LastUpdateDate"),
            *_not_null("OrderItemId", "QuantityOrdered"),
            _in("OrderStatus", ORDER_STATUSES),
            *_timestamps("PurchaseDate", "LastUpdateDate"),
            _in("order_currency", CURRENCIES),
            _decimal("order_total"),
            _between("order_total_jpy", 0, MAX_AMOUNT_JPY),
            # A cancelled order's items show QuantityOrdered 0, as Amazon reports them.
            _between("QuantityOrdered", 0, MAX_QUANTITY),
            _in("item_currency", CURRENCIES),
            _decimal("item_price"),
            _between("item_price_jpy", 0, MAX_AMOUNT_JPY),
            *_skus(catalogue),
        ],
    )


# --- refunds (Finances API RefundEventList) ---------------------------------------------------

_REFUND_SCHEMA: Final[Mapping[str, pl.DataType]] = {
    "AmazonOrderId": pl.String(),
    "PostedDate": pl.String(),
    "sku": pl.String(),
    "QuantityShipped": pl.Int64(),
    "ChargeType": pl.String(),
    "currency": pl.String(),
    "amount": pl.Float64(),
    "refunded_amount": pl.Float64(),
}
# The charges that are money going back to the buyer: never positive in a refund event.
_REFUNDED_CHARGES: Final = frozenset({"Principal", "Tax"})


def _refund_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for index, event in enumerate(records):
        head = {
            "_row": index,
            "AmazonOrderId": _text(event.get("AmazonOrderId")),
            "PostedDate": _text(event.get("PostedDate")),
        }
        for item in event.get("ShipmentItemAdjustmentList") or [{}]:
            line = head | {
                "sku": _text(item.get("SellerSKU")),
                "QuantityShipped": _count(item.get("QuantityShipped")),
            }
            for charge in item.get("ItemChargeAdjustmentList") or [{}]:
                amount = _dict(charge.get("ChargeAmount"))
                kind = _text(charge.get("ChargeType"))
                value = _number(amount.get("CurrencyAmount"))
                rows.append(
                    line
                    | {
                        "ChargeType": kind,
                        "currency": _text(amount.get("CurrencyCode")),
                        "amount": value,
                        "refunded_amount": value if kind in _REFUNDED_CHARGES else None,
                    }
                )
    return _frame(rows, _REFUND_SCHEMA)


def refunds_contract(catalogue: Collection[str] | None = None) -> Contract:
    return Contract(
        name="amazon.refunds",
        extract=_refund_rows,
        expectations=[
            *_not_null("AmazonOrderId", "PostedDate", "QuantityShipped"),
            *_not_null("ChargeType", "currency", "amount"),
            *_timestamps("PostedDate"),
            _between("QuantityShipped", 1, MAX_QUANTITY),
            _in("currency", CURRENCIES),
            _between("amount", -MAX_AMOUNT_JPY, MAX_AMOUNT_JPY),
            # Money going back to the buyer: the refund's principal and tax are negative.
            _between("refunded_amount", -MAX_AMOUNT_JPY, 0),
            *_skus(catalogue),
        ],
    )


# --- FBA inventory summaries ------------------------------------------------------------------


def _summary_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    fields: dict[str, Callable[[Mapping[str, Any]], Any]] = {
        "sku": lambda r: _text(r.get("sellerSku")),
        # Amazon sends "" for a SKU whose stock never changed: that is no time, not a bad one.
        "lastUpdatedTime": lambda r: _text(r.get("lastUpdatedTime")),
        "totalQuantity": lambda r: _count(r.get("totalQuantity")),
        "fulfillableQuantity": lambda r: _count(
            _dict(r.get("inventoryDetails")).get("fulfillableQuantity")
        ),
    }
    rows = [
        {"_row": index, **{name: get(record) for name, get in fields.items()}}
        for index, record in enumerate(records)
    ]
    schema = {
        "sku": pl.String(),
        "lastUpdatedTime": pl.String(),
        "totalQuantity": pl.Int64(),
        "fulfillableQuantity": pl.Int64(),
    }
    return _frame(rows, schema)


def inventory_summaries_contract(catalogue: Collection[str] | None = None) -> Contract:
    return Contract(
        name="amazon.inventory_summaries",
        extract=_summary_rows,
        expectations=[
            *_not_null("totalQuantity", "fulfillableQuantity"),
            _between("totalQuantity", 0, MAX_STOCK),
            _between("fulfillableQuantity", 0, MAX_STOCK),
            *_timestamps("lastUpdatedTime"),
            *_skus(catalogue),
        ],
    )

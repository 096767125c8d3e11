"""World orders as the SP-API Orders API (v0) shows them: ``Order`` and ``OrderItem`` objects.

What Amazon shows depends on the order's state, and so it does here:
- ``Pending`` (placed, payment not yet authorised, e.g. awaiting a konbini payment) carries no
  ``OrderTotal`` and its items no prices, as on Amazon; cash-on-delivery orders, paid at the
  door, are ``Unshipped`` at once;
- ``Canceled`` orders carry no ``OrderTotal``, and their items show ``QuantityOrdered`` 0 and no
  prices, as Amazon reports cancelled orders;
- ``PartiallyShipped`` never occurs: the world ships an order in one go.

Amounts follow Amazon.co.jp for tax-registered sellers: ``ItemPrice`` is the line's
tax-inclusive price times quantity and ``ItemTax`` the consumption tax inside it (likewise
shipping and promotions). Amazon leaves a money field out when it is zero (its own getOrderItems
example has no ``ItemTax``, ``ShippingTax`` or ``PromotionDiscount``), yet also sends
``"0.00"`` at times (its sandbox's ``PromotionDiscount``): so do the items here, about half of
the orders (`_OMITS_ZEROS`) leaving their zero amounts out. About a third of the items carry
``PointsGranted``, the Amazon points the buyer earns (1% of the price here), which change no
amount of the order.

Personal data follows the Restricted Data Token (`tokens`) the call carries. Without
one, ``ShippingAddress`` is only prefecture, postcode, city and country, as on Amazon. With an
RDT for ``shippingAddress`` (and the order no longer ``Pending``) it adds the recipient's
``Name``, ``AddressLine1`` (street, block and building) and ``AddressType``, and ``Phone`` for
merchant-fulfilled (MFN) orders only: Amazon suppresses the phone of every FBA (AFN) order,
so a buyer's phone (held on the world's Amazon identity) shows only on its orders that the
seller ships from its own warehouse.
``BuyerInfo`` (the masked relay e-mail and the buyer's name) needs an RDT for ``buyerInfo``,
as on SP-API: without one the order carries an empty ``BuyerInfo`` (`redact`, which the
documented account's orders go through too).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.amazon.common import MARKETPLACE_NAME, iso_z, money
from ichigen.sandbox.world import World

__all__ = [
    "FBA_LOCATION",
    "ORDER_STATUSES",
    "format_items",
    "format_orders",
    "redact",
    "with_status",
]

FBA_LOCATION: Final = "FBA-JP"
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
# The world's payment methods as Amazon.co.jp reports them: (PaymentMethod, details).
_PAYMENT: Final = {
    "credit_card": ("Other", ["CreditCard"]),
    "konbini": ("CVS", ["ConvenienceStore"]),
    "cod": ("COD", ["COD"]),
}
_PAYMENT_DEFAULT: Final = ("Other", ["Standard"])
_UNPAID: Final = frozenset({"Pending", "Canceled"})
# Paid at the door or by invoice after delivery: such orders are ready to ship at once.
_PAID_LATER: Final = ("cod", "invoice")


# What ShippingAddress shows without an RDT for ``shippingAddress``: where, not who.
_ADDRESS_WITHOUT_RDT: Final = frozenset({"StateOrRegion", "PostalCode", "City", "CountryCode"})
# What BuyerInfo shows without an RDT for ``buyerInfo``: nothing personal.
_BUYER_PII: Final = (
    "BuyerEmail",
    "BuyerName",
    "BuyerCounty",
    "BuyerTaxInfo",
    "PurchaseOrderNumber",
)


def redact(order: dict[str, Any], pii: frozenset[str]) -> dict[str, Any]:
    """`order` (changed in place) as a call whose RDT opens `pii` sees it."""
    address = order.get("ShippingAddress")
    if isinstance(address, dict) and "shippingAddress" not in pii:
        order["ShippingAddress"] = {k: v for k, v in address.items() if k in _ADDRESS_WITHOUT_RDT}
    buyer = order.get("BuyerInfo")
    if isinstance(buyer, dict) and "buyerInfo" not in pii:
        order["BuyerInfo"] = {k: v for k, v in buyer.items() if k not in _BUYER_PII}
    return order


def _share(key: str, of: int) -> int:
    """A stable bucket of `key` in range(of): the same order or item looks the same each call."""
    return zlib.crc32(key.encode()) % of


def _omits_zeros(amazon_order_id: str) -> bool:
    return _share(amazon_order_id, 2) == 0


def _grants_points(order_item_id: str) -> bool:
    return _share(order_item_id, 3) == 0


def _tax(amount: int) -> int:
    return amount * 10 // 110  # the tax inside a tax-inclusive amount (sandbox.schema)


def with_status(orders: pl.DataFrame) -> pl.DataFrame:
    """Add Amazon's ``OrderStatus`` and ``FulfillmentChannel`` to visible world orders."""
    return orders.with_columns(
        pl.when(pl.col("cancelled_at").is_not_null())
        .then(pl.lit("Canceled"))
        .when(pl.col("shipped_at").is_not_null())
        .then(pl.lit("Shipped"))
        .when(pl.col("paid_at").is_not_null() | pl.col("payment_method").is_in(_PAID_LATER))
        .then(pl.lit("Unshipped"))
        .otherwise(pl.lit("Pending"))
        .alias("status"),
        pl.when(pl.col("location_id") == FBA_LOCATION)
        .then(pl.lit("AFN"))
        .otherwise(pl.lit("MFN"))
        .alias("fulfillment"),
        pl.col("payment_method")
        .replace_strict(
            {name: method for name, (method, _) in _PAYMENT.items()},
            default=_PAYMENT_DEFAULT[0],
        )
        .alias("amazon_payment_method"),
    )


def _identities(world: World, ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    wanted = [i for i in ids if i is not None]
    frame = world.tables["identities"].filter(pl.col("identity_id").is_in(wanted))
    return {row["identity_id"]: row for row in frame.iter_rows(named=True)}


def format_orders(
    world: World,
    orders: pl.DataFrame,
    marketplace_id: str,
    *,
    pii: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """``Order`` objects for rows of `with_status` (in their order), opening `pii` elements."""
    if orders.is_empty():
        return []
    quantities = (
        world.lines_of(orders["order_id"].to_list())
        .group_by("order_id")
        .agg(pl.col("quantity").sum().alias("units"))
    )
    units = dict(zip(quantities["order_id"], quantities["units"], strict=True))
    people = _identities(world, orders["identity_id"])
    return [
        _order(
            row,
            int(units.get(row["order_id"], 0)),
            people.get(row["identity_id"]),
            marketplace_id,
            pii,
        )
        for row in orders.iter_rows(named=True)
    ]


def _order(
    row: dict[str, Any],
    units: int,
    person: dict[str, Any] | None,
    marketplace_id: str,
    pii: frozenset[str],
) -> dict[str, Any]:
    status: str = row["status"]
    created: datetime = row["created_at"]
    afn = row["fulfillment"] == "AFN"
    method, details = _PAYMENT.get(row["payment_method"], _PAYMENT_DEFAULT)
    order: dict[str, Any] = {
        "AmazonOrderId": row["channel_order_id"],
        "SellerOrderId": row["channel_order_id"],
        "PurchaseDate": iso_z(created),
        "LastUpdateDate": iso_z(row["updated_at"]),
        "OrderStatus": status,
        "FulfillmentChannel": row["fulfillment"],
        "SalesChannel": MARKETPLACE_NAME,
        "ShipServiceLevel": "Std JP Kanto8" if afn else "Std Domestic",
        "NumberOfItemsShipped": units if status == "Shipped" else 0,
        "NumberOfItemsUnshipped": units if status in ("Pending", "Unshipped") else 0,
        "PaymentMethod": method,
        "PaymentMethodDetails": details,
        "MarketplaceId": marketplace_id,
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso_z(created),
        "LatestShipDate": iso_z(created + timedelta(days=1 if afn else 2)),
        "IsBusinessOrder": False,
        "IsPrime": afn,
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
    }
    if status not in _UNPAID:
        order["OrderTotal"] = money(int(row["total_jpy"]))
    if person is not None:
        order["ShippingAddress"] = {
            "StateOrRegion": person["prefecture"],
            "PostalCode": person["postal_code"],
            "City": person["city"],
            "CountryCode": "JP",
        }
        name = " ".join(p for p in (person["family_name"], person["given_name"]) if p)
        if "shippingAddress" in pii and status != "Pending":  # Amazon shows none while pending
            order["ShippingAddress"] |= {
                "Name": name,
                "AddressLine1": person["address1"],
                "AddressType": "Residential",
            }
            if not afn and person["phone"]:
                order["ShippingAddress"]["Phone"] = person["phone"]
        if status != "Pending":
            order["BuyerInfo"] = {"BuyerEmail": person["email"], "BuyerName": name}
        else:
            order["BuyerInfo"] = {}
    return redact(order, pii)


def format_items(world: World, order: dict[str, Any], lines: pl.DataFrame) -> list[dict[str, Any]]:
    """``OrderItem`` objects of one order (a `with_status` row) for the given lines."""
    catalog = world.derived("amazon:catalog", lambda: _catalog(world))
    status: str = order["status"]
    return [
        _item(row, order, status, *catalog.get(row["sku"], (None, row["sku"])))
        for row in lines.iter_rows(named=True)
    ]


def _catalog(world: World) -> dict[str, tuple[str | None, str]]:
    """Each SKU's ASIN and its product's title (the SKU itself when the product has none)."""
    products = world.tables["products"]
    title_of = dict(zip(products["product_id"], products["title"], strict=True))
    return {
        row["sku"]: (row["asin"], title_of.get(row["product_id"], row["sku"]))
        for row in world.tables["skus"].iter_rows(named=True)
    }


def _item(
    line: dict[str, Any], order: dict[str, Any], status: str, asin: str | None, title: str
) -> dict[str, Any]:
    quantity = int(line["quantity"])
    item: dict[str, Any] = {
        "ASIN": asin,
        "SellerSKU": line["sku"],
        "OrderItemId": line["channel_line_id"],
        "Title": title,
        "QuantityOrdered": 0 if status == "Canceled" else quantity,
        "QuantityShipped": quantity if status == "Shipped" else 0,
        "ProductInfo": {"NumberOfItems": "1"},
        "IsGift": "false",
        "ConditionId": "New",
        "ConditionSubtypeId": "New",
        "IsTransparency": False,
        "SerialNumberRequired": False,
        "BuyerInfo": {},
    }
    if status in _UNPAID:
        return item
    price = int(line["unit_price_jpy"]) * quantity
    discount = int(line["discount_jpy"])
    # Amazon reports shipping per item; the world charges it per order: put it on the first line.
    shipping = int(order["shipping_jpy"]) if line["line_no"] == 1 else 0
    amounts = {
        "ItemPrice": price,
        "ItemTax": _tax(price),
        "ShippingPrice": shipping,
        "ShippingTax": _tax(shipping),
        "ShippingDiscount": 0,
        "ShippingDiscountTax": 0,
        "PromotionDiscount": discount,
        "PromotionDiscountTax": _tax(discount),
    }
    omits = _omits_zeros(order["channel_order_id"])
    item |= {
        name: money(amount)
        for name, amount in amounts.items()
        if amount or name == "ItemPrice" or not omits
    }
    if _grants_points(str(line["channel_line_id"])) and price >= 100:
        points = price // 100
        item["PointsGranted"] = {"PointsNumber": points, "PointsMonetaryValue": money(points)}
    if discount and order.get("promo_code"):
        item["PromotionIds"] = [order["promo_code"]]
    return item

"""The JSON of a Shopify order: line items, fulfillments, refunds, customer and addresses.

Shapes follow the Admin REST API's Order resource at 2024-10, with the untidy parts Shopify's
own examples show (tests/fixtures/shopify/README.md) in realistic shares:

- a web order has ``location_id: null`` (Shopify names a location only for orders taken at
  one); its fulfillments say where it shipped from;
- the payment is in ``payment_gateway_names`` only (2024-10 sends no ``gateway``);
- a shipped order ships in one successful fulfillment (``shipment_status`` ``in_transit``, then
  ``delivered``); some first had a fulfillment with ``status: failure`` (a label that failed),
  and some multi-line orders shipped in two fulfillments, each of part of the lines;
- some buyers pay in US dollars: ``presentment_money`` and the refund transactions are in USD
  (``shop_money`` stays in yen, the shop's currency);
- one refund per (order, refund time) from the world's returns, with its refund lines
  (``restock_type`` ``return`` or ``no_restock``) and a refund transaction, its ``note`` being
  the return reason; a paid order that was cancelled carries a refund of what was left
  (``restock_type`` ``cancel``), its shipping as a ``shipping_refund`` order adjustment and any
  difference from its lines as a ``refund_discrepancy``.

None of these change the world's truth: the same orders, lines, shipments and refunds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.shopify.customers import customer_frame, customer_json
from ichigen.sandbox.simulators.shopify.format import (
    CURRENCY,
    YEN,
    Presentment,
    address,
    gid,
    money,
    money_set,
    synthetic_id,
    timestamp,
)
from ichigen.sandbox.simulators.shopify.orders import shopify_id, tax_part
from ichigen.sandbox.world import World

__all__ = ["OrderRenderer"]

_ONLINE_STORE_APP_ID: Final = 580111
_TAX_TITLE: Final = "JCT"
_TAX_RATE: Final = 0.1
_GATEWAYS: Final = {
    "credit_card": "shopify_payments",
    "konbini": "KOMOJU - Konbini",
    "cod": "Cash on Delivery (COD)",
    "bank_transfer": "Bank Deposit",
}
_CANCEL_REASONS: Final = {
    "customer": "customer",
    "payment_timeout": "declined",
    "out_of_stock": "inventory",
    "fraud": "fraud",
}
_CARRIERS: Final = ("Yamato (JA)", "Sagawa (JA)", "Japan Post (JA)")
# shares of orders, in percent, by a stable hash of the order (`_share`)
_PAID_IN_DOLLARS_PCT: Final = 3
_FAILED_FULFILLMENT_PCT: Final = 3
_SPLIT_SHIPMENT_PCT: Final = 10  # of shipped orders of several lines
_DOLLARS: Final = Presentment("USD", 150)
_NOTE_AFTER_EDIT: Final = "お届け先の変更依頼あり(お客様より連絡)"


@dataclass(frozen=True)
class _Sku:
    variant_id: int
    product_id: int
    title: str
    variant_title: str
    vendor: str


def _share(kind: str, order_id: object) -> int:
    """0..99, stable per (kind, order): which orders take an untidy shape."""
    return synthetic_id(kind, order_id) % 100


def _after_discounts(item: dict[str, Any]) -> int:
    """A rendered line item's price times quantity less its discount allocations (yen)."""
    allocated = sum(int(a["amount"]) for a in item["discount_allocations"])
    return int(item["price"]) * int(item["quantity"]) - allocated


def _rows_by(frame: pl.DataFrame, key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        grouped[row[key]].append(row)
    return grouped


class OrderRenderer:
    """Renders a page of `order_frame` rows; gathers what they refer to once, under the lock."""

    def __init__(self, world: World, page: pl.DataFrame) -> None:
        order_ids = page["order_id"].to_list()
        self._lines = _rows_by(world.lines_of(order_ids).sort("order_id", "line_no"), "order_id")
        returns = world.visible_returns().filter(pl.col("order_id").is_in(order_ids))
        self._returns = _rows_by(returns.sort("refunded_at", "return_id"), "order_id")
        identity_ids = [i for i in page["identity_id"].to_list() if i is not None]
        customers = customer_frame(world, identity_ids)
        self._customers = {row["identity_id"]: row for row in customers.iter_rows(named=True)}
        skus = {line["sku"] for lines in self._lines.values() for line in lines}
        catalogue = (
            world.tables["skus"]
            .filter(pl.col("sku").is_in(list(skus)))
            .join(world.tables["products"], on="product_id", how="left", suffix="_product")
            .join(world.tables["suppliers"], on="supplier_id", how="left")
        )
        self._skus = {
            row["sku"]: _Sku(
                variant_id=int(row["shopify_variant_id"] or synthetic_id("variant", row["sku"])),
                product_id=int(
                    row["shopify_product_id"] or synthetic_id("product", row["product_id"])
                ),
                title=row["title"],
                variant_title=f"{row['colour']} / {row['size']}",
                vendor=row["name"] or "",
            )
            for row in catalogue.iter_rows(named=True)
        }
        self._locations = {
            row["location_id"]: row["shopify_location_id"]
            for row in world.tables["locations"].iter_rows(named=True)
        }
        self._presentment = YEN  # the buyer's currency of the order being rendered

    def _money_set(self, amount: int) -> dict[str, Any]:
        return money_set(amount, self._presentment)

    def render(self, order: dict[str, Any]) -> dict[str, Any]:
        order_id = int(order["id"])
        paid_in_dollars = _share("presentment", order_id) < _PAID_IN_DOLLARS_PCT
        self._presentment = _DOLLARS if paid_in_dollars else YEN
        lines = self._lines.get(order["order_id"], [])
        returns = self._returns.get(order["order_id"], [])
        returned_qty: dict[int, int] = defaultdict(int)
        for ret in returns:
            returned_qty[ret["line_no"]] += int(ret["quantity"])
        items = {line["line_no"]: self._line_item(order, line, returned_qty) for line in lines}
        customer_row = self._customers.get(order["identity_id"])
        customer = customer_json(customer_row, embedded=True) if customer_row else None
        mailing = (
            address(
                first_name=customer_row["given_name"],
                last_name=customer_row["family_name"],
                address1=customer_row["address1"],
                city=customer_row["city"],
                prefecture=customer_row["prefecture"],
                zip_code=customer_row["postal_code"],
                phone=customer_row["phone"],
                company=customer_row["company"],
            )
            if customer_row
            else None
        )
        current_total = int(order["total_jpy"]) - int(order["refunded_jpy"])
        current_subtotal = max(
            int(order["subtotal_jpy"]) - int(order["discount_jpy"]) - int(order["refunded_jpy"]),
            0,
        )
        gateway = _GATEWAYS.get(order["payment_method"], order["payment_method"])
        number = int(str(order["order_name"]).lstrip("#") or 0)
        discount = int(order["discount_jpy"])
        body: dict[str, Any] = {
            "id": order_id,
            "admin_graphql_api_id": gid("Order", order_id),
            "app_id": _ONLINE_STORE_APP_ID,
            "browser_ip": None,
            "buyer_accepts_marketing": bool(customer_row and customer_row["accepts_marketing"]),
            "cancel_reason": _CANCEL_REASONS.get(order["cancel_reason"], "other")
            if order["cancelled_at"]
            else None,
            "cancelled_at": timestamp(order["cancelled_at"]),
            "checkout_id": synthetic_id("checkout", order_id),
            "closed_at": timestamp(order["closed_at"]),
            "confirmed": True,
            "contact_email": customer["email"] if customer else None,
            "created_at": timestamp(order["created_at"]),
            "currency": CURRENCY,
            "current_subtotal_price": money(current_subtotal),
            "current_subtotal_price_set": self._money_set(current_subtotal),
            "current_total_discounts": money(discount),
            "current_total_discounts_set": self._money_set(discount),
            "current_total_price": money(current_total),
            "current_total_price_set": self._money_set(current_total),
            "current_total_tax": money(tax_part(current_total)),
            "current_total_tax_set": self._money_set(tax_part(current_total)),
            "customer_locale": "ja",
            "discount_codes": [
                {"code": order["promo_code"], "amount": money(discount), "type": "fixed_amount"}
            ]
            if order["promo_code"]
            else [],
            "email": customer["email"] if customer else None,
            "estimated_taxes": False,
            "financial_status": order["financial_status"],
            "fulfillment_status": order["fulfillment_status"],
            "landing_site": "/",
            # a web order: Shopify names no location; its fulfillments say where it shipped from
            "location_id": None,
            "name": order["order_name"],
            "note": _NOTE_AFTER_EDIT if order["note_updated_at"] else None,
            "note_attributes": [],
            "number": number - 1000,
            "order_number": number,
            "payment_gateway_names": [gateway],
            "phone": customer["phone"] if customer else None,
            "presentment_currency": self._presentment.currency,
            "processed_at": timestamp(order["created_at"]),
            "reference": None,
            "referring_site": None,
            "source_identifier": None,
            "source_name": "web",
            "subtotal_price": money(int(order["subtotal_jpy"]) - discount),
            "subtotal_price_set": self._money_set(int(order["subtotal_jpy"]) - discount),
            "tags": "",
            "tax_lines": [self._tax_line(int(order["tax_jpy"]))],
            "taxes_included": True,
            "test": False,
            "token": f"{synthetic_id('token', order_id):x}",
            "total_discounts": money(discount),
            "total_discounts_set": self._money_set(discount),
            "total_line_items_price": money(int(order["subtotal_jpy"])),
            "total_line_items_price_set": self._money_set(int(order["subtotal_jpy"])),
            "total_outstanding": money(0 if order["paid_at"] else int(order["total_jpy"])),
            "total_price": money(int(order["total_jpy"])),
            "total_price_set": self._money_set(int(order["total_jpy"])),
            "total_shipping_price_set": self._money_set(int(order["shipping_jpy"])),
            "total_tax": money(int(order["tax_jpy"])),
            "total_tax_set": self._money_set(int(order["tax_jpy"])),
            "total_tip_received": "0",
            "total_weight": 0,
            "updated_at": timestamp(order["updated_at"]),
            "user_id": None,
            "billing_address": mailing,
            "customer": customer,
            "discount_applications": [
                {
                    "target_type": "line_item",
                    "type": "discount_code",
                    "value": money(discount),
                    "value_type": "fixed_amount",
                    "allocation_method": "across",
                    "target_selection": "all",
                    "code": order["promo_code"],
                }
            ]
            if order["promo_code"] and discount
            else [],
            "fulfillments": self._fulfillments(order, list(items.values())),
            "line_items": list(items.values()),
            "payment_terms": None,
            "refunds": self._refunds(order, returns, items, gateway),
            "shipping_address": dict(mailing) if mailing else None,
            "shipping_lines": [self._shipping_line(order_id, int(order["shipping_jpy"]))],
        }
        return body

    def _tax_line(self, amount: int) -> dict[str, Any]:
        return {
            "price": money(amount),
            "rate": _TAX_RATE,
            "title": _TAX_TITLE,
            "price_set": self._money_set(amount),
            "channel_liable": False,
        }

    def _line_item(
        self, order: dict[str, Any], line: dict[str, Any], returned_qty: dict[int, int]
    ) -> dict[str, Any]:
        line_id = shopify_id(line["channel_line_id"], "line", line["order_id"], line["line_no"])
        sku = self._skus.get(line["sku"])
        quantity = int(line["quantity"])
        shipped = order["shipped_at"] is not None
        open_quantity = 0 if shipped or order["cancelled_at"] else quantity
        discount = int(line["discount_jpy"])
        title = sku.title if sku else line["sku"]
        return {
            "id": line_id,
            "admin_graphql_api_id": gid("LineItem", line_id),
            "current_quantity": 0
            if order["cancelled_at"]
            else quantity - returned_qty.get(line["line_no"], 0),
            "fulfillable_quantity": open_quantity,
            "fulfillment_service": "manual",
            "fulfillment_status": "fulfilled" if shipped else None,
            "gift_card": False,
            "grams": 0,
            "name": f"{title} - {sku.variant_title}" if sku else title,
            "price": money(int(line["unit_price_jpy"])),
            "price_set": self._money_set(int(line["unit_price_jpy"])),
            "product_exists": sku is not None,
            "product_id": sku.product_id if sku else None,
            "properties": [],
            "quantity": quantity,
            "requires_shipping": True,
            "sku": line["sku"],
            "taxable": True,
            "title": title,
            # Order-level discount codes are spread over lines as allocations; the deprecated
            # per-line total_discount stays 0 in that case, as on Shopify.
            "total_discount": "0",
            "total_discount_set": self._money_set(0),
            "variant_id": sku.variant_id if sku else None,
            "variant_inventory_management": "shopify",
            "variant_title": sku.variant_title if sku else None,
            "vendor": sku.vendor if sku else None,
            "tax_lines": [self._tax_line(int(line["tax_jpy"]))],
            "duties": [],
            "discount_allocations": [
                {
                    "amount": money(discount),
                    "amount_set": self._money_set(discount),
                    "discount_application_index": 0,
                }
            ]
            if discount
            else [],
        }

    def _fulfillments(
        self, order: dict[str, Any], items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if order["shipped_at"] is None:
            return []
        order_id = order["order_id"]
        fulfilled = [{**item, "fulfillable_quantity": 0} for item in items]
        parts = [fulfilled]
        if len(fulfilled) > 1 and _share("split", order_id) < _SPLIT_SHIPMENT_PCT:
            parts = [fulfilled[:1], fulfilled[1:]]  # two parcels, the same day
        found = []
        if _share("failed-fulfillment", order_id) < _FAILED_FULFILLMENT_PCT:
            found.append(self._fulfillment(order, "failed", fulfilled, status="failure"))
        found += [
            self._fulfillment(order, str(number), part) for number, part in enumerate(parts, 1)
        ]
        return found

    def _fulfillment(
        self,
        order: dict[str, Any],
        number: str,
        items: list[dict[str, Any]],
        *,
        status: str = "success",
    ) -> dict[str, Any]:
        # the first successful fulfillment keeps the id it always had
        parts = (order["order_id"],) if number == "1" else (order["order_id"], number)
        fulfillment_id = synthetic_id("fulfillment", *parts)
        carrier = _CARRIERS[fulfillment_id % len(_CARRIERS)]
        tracking = str(fulfillment_id % 10**12).zfill(12)
        delivered = order["delivered_at"] is not None and status == "success"
        shipment_status = "delivered" if delivered else "in_transit"
        return {
            "id": fulfillment_id,
            "admin_graphql_api_id": gid("Fulfillment", fulfillment_id),
            "created_at": timestamp(order["shipped_at"]),
            "location_id": self._locations.get(order["location_id"]),
            "name": f"{order['order_name']}.{number}",
            "order_id": int(order["id"]),
            "origin_address": {},
            "receipt": {},
            "service": "manual",
            "shipment_status": shipment_status if status == "success" else None,
            "status": status,
            "tracking_company": carrier,
            "tracking_number": tracking,
            "tracking_numbers": [tracking],
            "tracking_url": None,
            "tracking_urls": [],
            "updated_at": timestamp(
                (order["delivered_at"] if delivered else None) or order["shipped_at"]
            ),
            "line_items": items,
        }

    def _shipping_line(self, order_id: int, amount: int) -> dict[str, Any]:
        line_id = synthetic_id("shipping", order_id)
        return {
            "id": line_id,
            "carrier_identifier": None,
            "code": "standard",
            "discounted_price": money(amount),
            "discounted_price_set": self._money_set(amount),
            "phone": None,
            "price": money(amount),
            "price_set": self._money_set(amount),
            "source": "shopify",
            "title": "通常配送",
            "tax_lines": [self._tax_line(tax_part(amount))],
            "discount_allocations": [],
        }

    def _refunds(
        self,
        order: dict[str, Any],
        returns: list[dict[str, Any]],
        items: dict[int, dict[str, Any]],
        gateway: str,
    ) -> list[dict[str, Any]]:
        groups: dict[datetime, list[dict[str, Any]]] = defaultdict(list)
        for ret in returns:
            groups[ret["refunded_at"]].append(ret)
        refunds = []
        for at, group in sorted(groups.items()):
            refund_id = synthetic_id("refund", group[0]["return_id"])
            restocked = any(bool(ret["restocked"]) for ret in group)
            lines = [
                self._refund_line(order, ret["return_id"], items.get(ret["line_no"]), ret)
                for ret in group
            ]
            amount = sum(int(ret["refund_jpy"]) for ret in group)
            note = ", ".join(dict.fromkeys(str(ret["reason"]) for ret in group))
            refunds.append(
                self._refund(order, refund_id, at, note, restocked, lines, amount, gateway)
            )
        if order["cancelled_at"] is not None and int(order["cancel_refund_jpy"]) > 0:
            refund_id = synthetic_id("cancel-refund", order["order_id"])
            lines = [
                {
                    "id": synthetic_id("refund-line", refund_id, line_no),
                    "line_item_id": item["id"],
                    "location_id": self._locations.get(order["location_id"]),
                    "quantity": item["quantity"],
                    "restock_type": "cancel",
                    # Shopify's refund line subtotal is after the line's discounts
                    "subtotal": _after_discounts(item),
                    "subtotal_set": self._money_set(_after_discounts(item)),
                    "total_tax": int(item["tax_lines"][0]["price"]),
                    "total_tax_set": self._money_set(int(item["tax_lines"][0]["price"])),
                    "line_item": item,
                }
                for line_no, item in items.items()
            ]
            shipping = int(order["shipping_jpy"])
            # what the lines and shipping are worth beyond what was paid back (earlier returns)
            discrepancy = sum(_after_discounts(item) for item in items.values()) + shipping
            discrepancy -= int(order["cancel_refund_jpy"])
            adjustments = [
                self._adjustment(refund_id, order, kind, amount)
                for kind, amount in (
                    ("shipping_refund", -shipping),
                    ("refund_discrepancy", discrepancy),
                )
                if amount
            ]
            refunds.append(
                self._refund(
                    order,
                    refund_id,
                    order["cancelled_at"],
                    "order cancelled",
                    True,
                    lines,
                    int(order["cancel_refund_jpy"]),
                    gateway,
                    adjustments,
                )
            )
        return refunds

    def _adjustment(
        self, refund_id: int, order: dict[str, Any], kind: str, amount: int
    ) -> dict[str, Any]:
        """An order adjustment of a refund: a shipping refund is negative, a refund_discrepancy
        positive when less was paid back than the refund's lines are worth."""
        adjustment_id = synthetic_id("adjustment", refund_id, kind)
        return {
            "id": adjustment_id,
            "order_id": int(order["id"]),
            "refund_id": refund_id,
            "amount": money(amount),
            "amount_set": self._money_set(amount),
            "tax_amount": money(tax_part(amount)),
            "tax_amount_set": self._money_set(tax_part(amount)),
            "kind": kind,
            "reason": "Shipping refund" if kind == "shipping_refund" else "Refund discrepancy",
        }

    def _refund_line(
        self,
        order: dict[str, Any],
        return_id: str,
        item: dict[str, Any] | None,
        ret: dict[str, Any],
    ) -> dict[str, Any]:
        amount = int(ret["refund_jpy"])
        return {
            "id": synthetic_id("refund-line", return_id),
            "line_item_id": item["id"] if item else None,
            "location_id": self._locations.get(order["location_id"]) if ret["restocked"] else None,
            "quantity": int(ret["quantity"]),
            "restock_type": "return" if ret["restocked"] else "no_restock",
            # Shopify writes these two as numbers, unlike the other amounts.
            "subtotal": amount,
            "subtotal_set": self._money_set(amount),
            "total_tax": tax_part(amount),
            "total_tax_set": self._money_set(tax_part(amount)),
            "line_item": item,
        }

    def _refund(
        self,
        order: dict[str, Any],
        refund_id: int,
        at: datetime,
        note: str,
        restock: bool,
        lines: list[dict[str, Any]],
        amount: int,
        gateway: str,
        adjustments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        order_id = int(order["id"])
        transaction_id = synthetic_id("refund-transaction", refund_id)
        return {
            "id": refund_id,
            "admin_graphql_api_id": gid("Refund", refund_id),
            "created_at": timestamp(at),
            "note": note,
            "order_id": order_id,
            "processed_at": timestamp(at),
            "restock": restock,
            "total_duties_set": self._money_set(0),
            "user_id": None,
            "order_adjustments": adjustments or [],
            "transactions": [
                {
                    "id": transaction_id,
                    "admin_graphql_api_id": gid("OrderTransaction", transaction_id),
                    # REST transactions are in the buyer's (presentment) currency
                    "amount": self._presentment.amount(amount),
                    "authorization": None,
                    "created_at": timestamp(at),
                    "currency": self._presentment.currency,
                    "error_code": None,
                    "gateway": gateway,
                    "kind": "refund",
                    "location_id": None,
                    "message": None,
                    "order_id": order_id,
                    "parent_id": synthetic_id("sale-transaction", order_id),
                    "processed_at": timestamp(at),
                    "receipt": {},
                    "source_name": "web",
                    "status": "success",
                    "test": False,
                    "user_id": None,
                }
            ],
            "refund_line_items": lines,
            "duties": [],
        }

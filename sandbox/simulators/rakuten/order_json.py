"""One world order as getOrder's ``OrderModel`` (RakutenPayOrderAPI, versions 3 to 10).

Amounts follow RMS's definitions with tax-inclusive prices (``includeTaxFlag`` 1, so
``goodsTax`` is 0): ``totalPrice`` = goods + postage; the world's order discount is a shop
coupon (``couponCapitalCode`` 1, ``couponShopPrice``) carrying the promo code, so the world's
total is ``totalPrice`` - ``couponShopPrice``, what the shop is paid. On top of it, as on real
shops (`order_parts.payment`): some buyers pay part with points (``PointModel.usedPoint``),
some orders carry a Rakuten-funded coupon (``couponCapitalCode`` 3, ``couponOtherPrice``), COD
orders a 330-yen ``paymentCharge``; ``requestPrice`` = ``totalPrice`` + ``paymentCharge`` -
``couponAllTotalPrice`` - points, and ``TaxSummaryModelList`` has RMS's tax on it before
points. Some orders of two or more lines go to two addresses (two ``PackageModel``, each with
its items, postage and shipment).

Refunds are shown the way RMS books them, from ``refunded_at`` on:

- every unit returned: a cancellation after shipping, ``orderProgress`` 900 with a
  ``ChangeReasonModel`` of ``changeType`` 2 (キャンセル完了) and reason 2 (受取後の返品) or 15
  (返品(破損・品間違い)); amounts keep showing what was ordered, as for any cancellation;
- some units returned: one ``ChangeReasonModel`` per return with ``changeType`` 6 (変更完了)
  and ``changeTypeDetail`` 0 (減額); the items' ``units`` are reduced (kept at 0 rather than
  deleted, a sandbox simplification) and ``requestPrice`` drops by the refund, the coupon
  absorbing the discount share of the returned units.

A late edit (``note_updated_at``) shows as the shop's ひとことメモ (``memo``): getOrder has no
"updated at" field, so only re-reading the order reveals it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.rakuten.format import order_date, order_time, synthetic_int
from ichigen.sandbox.simulators.rakuten.order_parts import (
    Payment,
    change_reasons,
    is_split,
    payment,
    person,
    req_price_tax,
    settlement,
)
from ichigen.sandbox.world import World

__all__ = ["SUPPORTED_VERSIONS", "OrderRenderer"]

SUPPORTED_VERSIONS: Final = range(3, 11)
TAX_RATE: Final = 0.1


def _by_key(frame: pl.DataFrame, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in frame.iter_rows(named=True)}


class OrderRenderer:
    """Renders orders of an `order_frame`; build it under `world.lock`."""

    def __init__(self, world: World, orders: pl.DataFrame, *, version: int) -> None:
        self.version = version
        ids = orders["order_id"]
        lines = world.lines_of(ids)
        self._lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for line in lines.sort("order_id", "line_no").iter_rows(named=True):
            self._lines[line["order_id"]].append(line)
        self._returns: dict[str, list[dict[str, Any]]] = defaultdict(list)
        returns = world.visible_returns().filter(pl.col("order_id").is_in(ids.implode()))
        for ret in returns.sort("refunded_at", "return_id").iter_rows(named=True):
            self._returns[ret["order_id"]].append(ret)
        skus = world.tables["skus"].filter(pl.col("sku").is_in(lines["sku"].implode()))
        self._skus = _by_key(skus, "sku")
        self._products = _by_key(world.tables["products"], "product_id")
        self._identities = _by_key(
            world.tables["identities"].filter(
                pl.col("identity_id").is_in(orders["identity_id"].drop_nulls().implode())
            ),
            "identity_id",
        )

    # --- pieces ----------------------------------------------------------------------------

    def _item(self, line: dict[str, Any], units: int) -> dict[str, Any]:
        sku = self._skus.get(line["sku"], {})
        product = self._products.get(sku.get("product_id", ""), {})
        manage_number = product.get("rakuten_manage_number") or ""
        raw_id = line.get("channel_line_id") or ""
        sku_info = f"カラー:{sku.get('colour')}"
        if sku.get("size") not in (None, "F"):
            sku_info += f"\nサイズ:{sku['size']}"
        item: dict[str, Any] = {
            "itemDetailId": int(raw_id)
            if raw_id.isdigit()
            else synthetic_int("item-detail", line["order_id"], line["line_no"]),
            "itemName": product.get("title") or line["sku"],
            "itemId": synthetic_int("item", manage_number, digits=8),
            "itemNumber": product.get("product_id"),
            "manageNumber": manage_number,
            "price": line["unit_price_jpy"],
            "units": units,
            "includePostageFlag": 0,
            "includeTaxFlag": 1,
            "includeCashOnDeliveryPostageFlag": 0,
            "selectedChoice": None,
            "pointRate": 1,
            "pointType": 0,
            "inventoryType": 1,
            "delvdateInfo": "1～2日以内に発送",
            "restoreInventoryFlag": 0,
            "dealFlag": 0,
            "drugFlag": 0,
            "deleteItemFlag": 0,
            "taxRate": TAX_RATE,
            "priceTaxIncl": line["unit_price_jpy"],
            "SkuModelList": [],
        }
        if self.version >= 4:
            item["isSingleItemShipping"] = 0
        if self.version >= 7:
            item["SkuModelList"] = [
                {
                    "variantId": sku.get("rakuten_variant_id"),
                    "merchantDefinedSkuId": line["sku"],
                    "skuInfo": sku_info,
                }
            ]
        return item

    def _package(
        self,
        number: str,
        index: int,
        items: list[dict[str, Any]],
        postage: int,
        identity: dict[str, Any],
        shipped: datetime | None,
    ) -> dict[str, Any]:
        """One 送付先: its items, postage, sender and shipment (each package ships apart)."""
        goods = sum(item["price"] * item["units"] for item in items)
        return {
            "basketId": synthetic_int("basket", number, *([index] if index else [])),
            "postagePrice": postage,
            "postageTaxRate": TAX_RATE,
            "deliveryPrice": 0,
            "deliveryTaxRate": TAX_RATE,
            "goodsTax": 0,
            "goodsPrice": goods,
            "totalPrice": goods + postage,
            "noshi": "御祝" if index else None,
            "packageDeleteFlag": 0,
            "SenderModel": {**person(identity), "isolatedIslandFlag": 0},
            "ItemModelList": items,
            "ShippingModelList": []
            if shipped is None
            else [
                {
                    "shippingDetailId": synthetic_int("shipping", number, index, digits=8),
                    "shippingNumber": str(synthetic_int("tracking", number, index, digits=12)),
                    "deliveryCompany": "1001",
                    "deliveryCompanyName": "ヤマト運輸",
                    "shippingDate": order_date(shipped),
                }
            ],
            "DeliveryCvsModel": None,
        }

    def _versioned_package(self, package: dict[str, Any]) -> None:
        if self.version >= 4:
            package["defaultDeliveryCompanyCode"] = "1001"
        if self.version >= 8:
            del package["goodsTax"]
        if self.version >= 9:
            package["dropOffFlag"] = 0
            package["dropOffLocation"] = None
        if self.version >= 10:
            package["SocialGiftModel"] = None

    @staticmethod
    def _coupons(
        row: dict[str, Any], number: str, shop_coupon: int, paid: Payment, created: datetime
    ) -> list[dict[str, Any]]:
        """The shop's coupon (the world's discount, with its promo code) and Rakuten's."""
        shop_code = row["promo_code"] or f"SHOP-{synthetic_int('coupon', number)}"
        kinds = (
            (1, "ショップ", shop_code, row["promo_code"] or "ショップクーポン", shop_coupon),
            (
                3,
                "サービス",
                f"RKTN-{synthetic_int('rakuten-coupon', number)}",
                "楽天スーパーSALE クーポン",
                paid.rakuten_coupon_jpy,
            ),
        )
        return [
            {
                "couponCode": code,
                "itemId": 0,
                "couponName": name,
                "couponSummary": f"定額割引 {amount}円",
                "couponCapital": capital,
                "couponCapitalCode": capital_code,
                "expiryDate": order_date(created + timedelta(days=30)),
                "couponPrice": amount,
                "couponUnit": 1,
                "couponTotalPrice": amount,
                "itemDetailId": 0,
            }
            for capital_code, capital, code, name, amount in kinds
            if amount > 0
        ]

    # --- the order -------------------------------------------------------------------------

    def render(self, row: dict[str, Any]) -> dict[str, Any]:
        version = self.version
        number = row["channel_order_id"]
        closed = row["order_progress"] == 900
        returned: dict[int, int] = defaultdict(int)
        if not closed:
            for ret in self._returns.get(row["order_id"], []):
                returned[ret["line_no"]] += ret["quantity"]
        lines = self._lines.get(row["order_id"], [])
        items = [
            self._item(line, max(line["quantity"] - returned[line["line_no"]], 0)) for line in lines
        ]
        goods = sum(item["price"] * item["units"] for item in items)
        total = goods + row["shipping_jpy"]
        # what the shop is paid: the world's total, less what it refunded of a partial return
        value = row["total_jpy"]
        if not closed and row["has_returns"]:
            value -= row["refunded_jpy"]
        shop_coupon = max(total - value, 0)
        paid = payment(number, row["payment_method"], total - shop_coupon)
        coupon = shop_coupon + paid.rakuten_coupon_jpy
        # RMS's tax is on what is charged before points (orders since 2022-04-01)
        req_price = total + paid.cod_fee_jpy - coupon
        created: datetime = row["created_at"]
        confirmed: datetime | None = row["confirmed_at"]
        identity = self._identities.get(row["identity_id"], {})
        shipped: datetime | None = row["shipped_at"]
        due = created + timedelta(days=7) if row["payment_method"] == "konbini" else None
        memo = None
        if row["note_updated_at"] is not None:
            memo = f"{order_time(row['note_updated_at'])} お届け先情報変更のご連絡あり"
        split = is_split(number, len(items))
        parts = [items[: len(items) // 2], items[len(items) // 2 :]] if split else [items]
        second_postage = row["shipping_jpy"] // 2 // 10 * 10 if split else 0
        postages = [row["shipping_jpy"] - second_postage, second_postage][: len(parts)]
        packages = [
            self._package(number, index, part, postage, identity, shipped)
            for index, (part, postage) in enumerate(zip(parts, postages, strict=True))
        ]
        order: dict[str, Any] = {
            "orderNumber": number,
            "orderProgress": row["order_progress"],
            "subStatusId": None,
            "subStatusName": None,
            "orderDatetime": order_time(created),
            "shopOrderCfmDatetime": order_time(confirmed),
            "orderFixDatetime": order_time(confirmed),
            "shippingInstDatetime": order_time(confirmed),
            "shippingCmplRptDatetime": order_time(shipped),
            "cancelDueDate": order_date(due),
            "deliveryDate": None,
            "shippingTerm": None,
            "remarks": None,
            "giftCheckFlag": 0,
            "severalSenderFlag": int(split),
            "equalSenderFlag": int(not split),
            "isolatedIslandFlag": 0,
            "rakutenMemberFlag": 1,
            "carrierCode": 11,
            "emailCarrierCode": 0,
            "orderType": 1,
            "reserveNumber": None,
            "reserveDeliveryCount": None,
            "cautionDisplayType": 0,
            "rakutenConfirmFlag": 0,
            "goodsPrice": goods,
            "goodsTax": 0,
            "postagePrice": row["shipping_jpy"],
            "deliveryPrice": 0,
            "paymentCharge": paid.cod_fee_jpy,
            "paymentChargeTaxRate": TAX_RATE,
            "totalPrice": total,
            "requestPrice": paid.request_jpy,
            "couponAllTotalPrice": coupon,
            "couponShopPrice": shop_coupon,
            "couponOtherPrice": paid.rakuten_coupon_jpy,
            "additionalFeeOccurAmountToUser": 0,
            "additionalFeeOccurAmountToShop": 0,
            "asurakuFlag": 0,
            "drugFlag": 0,
            "dealFlag": 0,
            "membershipType": 0,
            "memo": memo,
            "operator": None,
            "mailPlugSentence": None,
            "modifyFlag": 0,
            "isTaxRecalc": 0,
            "OrdererModel": {
                **person(identity),
                "emailAddress": identity.get("email") or "",
                "sex": None,
                "birthYear": None,
                "birthMonth": None,
                "birthDay": None,
            },
            "SettlementModel": settlement(row["payment_method"], number),
            "DeliveryModel": {"deliveryName": "宅配便", "deliveryClass": 1},
            "PointModel": {"usedPoint": paid.points_jpy},
            "WrappingModel1": None,
            "WrappingModel2": None,
            "PackageModelList": packages,
            "CouponModelList": self._coupons(row, number, shop_coupon, paid, created),
            "ChangeReasonModelList": change_reasons(row, self._returns.get(row["order_id"], [])),
            "TaxSummaryModelList": [
                {
                    "taxRate": TAX_RATE,
                    "reqPrice": req_price,
                    "reqPriceTax": req_price_tax(req_price, TAX_RATE),
                    "totalPrice": total,
                    "paymentCharge": paid.cod_fee_jpy,
                    "couponPrice": coupon,
                    "point": 0,
                }
            ],
        }
        for package in packages:
            self._versioned_package(package)
        if version >= 5:
            order["receiptIssueCount"] = 0
            order["receiptIssueHistoryList"] = []
            order["DueDateModelList"] = (
                [] if due is None else [{"dueDateType": 0, "dueDate": order_date(due)}]
            )
        if version >= 6:
            order["cautionDisplayDetailType"] = None
        if version >= 8:
            del order["goodsTax"], order["isTaxRecalc"]
            order["deliveryCertPrgFlag"] = 0
            order["oneDayOperationFlag"] = 0
        if version >= 10:
            order["socialGiftFlag"] = 0
        return order

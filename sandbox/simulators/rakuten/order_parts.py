"""The parts of getOrder's ``OrderModel`` that are not amounts: people, payment, changes.

Cancellations and refunds are written as RMS books them in ``ChangeReasonModelList`` (see
`order_json` for when each applies): ``changeReason`` 0 is the shop's doing (店舗様都合),
1 the customer's (お客様都合), with RMS's ``changeReasonDetail`` codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ichigen.sandbox.simulators.rakuten.format import (
    order_time,
    phone_parts,
    synthetic_int,
    zip_parts,
)

__all__ = [
    "COD_FEE_JPY",
    "Payment",
    "change_reasons",
    "is_split",
    "payment",
    "person",
    "req_price_tax",
    "settlement",
]

# payment_method -> (settlementMethodCode, settlementMethod)
_SETTLEMENT: Final = {
    "credit_card": (1, "クレジットカード"),
    "cod": (2, "代金引換"),
    "bank_transfer": (9, "銀行振込"),
    "konbini": (14, "ローソン、郵便局ATM等（前払）"),
}
# cancel_reason -> (changeReason, changeReasonDetail): 1 キャンセル, 4 未入金, 8 欠品,
# 14 顧客・配送対応注意表示; anything else is 6 お客様都合 - その他.
_CANCEL_REASONS: Final = {
    "customer": (1, 1),
    "payment_timeout": (1, 4),
    "out_of_stock": (0, 8),
    "fraud": (0, 14),
}
# Returns the shop is answerable for are 15 返品(破損・品間違い); the rest 2 受取後の返品.
_SHOP_FAULT_RETURNS: Final = frozenset(
    {"defect", "wrong_item", "damaged_in_transit", "not_as_described"}
)


def person(identity: dict[str, Any]) -> dict[str, Any]:
    """Name, address and phone as OrdererModel and SenderModel share them."""
    zip1, zip2 = zip_parts(identity.get("postal_code"))
    phone1, phone2, phone3 = phone_parts(identity.get("phone"))
    return {
        "zipCode1": zip1,
        "zipCode2": zip2,
        "prefecture": identity.get("prefecture") or "",
        "city": identity.get("city") or "",
        "subAddress": identity.get("address1") or "",
        "familyName": identity.get("family_name") or "",
        "firstName": identity.get("given_name") or "",
        "familyNameKana": identity.get("family_name_kana"),
        "firstNameKana": identity.get("given_name_kana"),
        "phoneNumber1": phone1,
        "phoneNumber2": phone2,
        "phoneNumber3": phone3,
    }


def settlement(payment_method: str | None, order_number: str) -> dict[str, Any]:
    code, method = _SETTLEMENT.get(payment_method or "", _SETTLEMENT["credit_card"])
    card = code == 1
    return {
        "settlementMethodCode": code,
        "settlementMethod": method,
        "rpaySettlementFlag": 1,
        "cardName": "VISA" if card else None,
        "cardNumber": f"XXXX-XXXX-XXXX-{synthetic_int('card', order_number) % 10000:04d}"
        if card
        else None,
        "cardOwner": None,
        "cardYm": None,
        "cardPayType": 0 if card else None,
        "cardInstallmentDesc": None,
    }


def _return_reason(reason: str) -> tuple[int, int]:
    return (0, 15) if reason in _SHOP_FAULT_RETURNS else (1, 2)


def change_reasons(row: dict[str, Any], returns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order's ChangeReasonModelList, given its refunded returns in refund order."""
    number = row["channel_order_id"]

    def change(
        index: int,
        change_type: int,
        detail: int | None,
        reason: tuple[int, int],
        applied: datetime,
        fixed: datetime,
    ) -> dict[str, Any]:
        return {
            "changeId": synthetic_int("change", number, index, digits=8),
            "changeType": change_type,
            "changeTypeDetail": detail,
            "changeReason": reason[0],
            "changeReasonDetail": reason[1],
            "changeApplyDatetime": order_time(applied),
            "changeFixDatetime": order_time(fixed),
            "changeCmplDatetime": order_time(fixed),
        }

    if row["cancelled_at"] is not None:  # 2: キャンセル完了
        reason = _CANCEL_REASONS.get(row["cancel_reason"] or "", (1, 6))
        return [change(0, 2, None, reason, row["cancelled_at"], row["cancelled_at"])]
    if row["fully_returned"] and returns:  # cancelled after shipping
        applied = min(r["requested_at"] for r in returns)
        return [
            change(
                0,
                2,
                None,
                _return_reason(returns[0]["reason"]),
                applied,
                returns[-1]["refunded_at"],
            )
        ]
    return [  # 6: 変更完了, 0: 減額
        change(i, 6, 0, _return_reason(r["reason"]), r["requested_at"], r["refunded_at"])
        for i, r in enumerate(returns)
    ]


# Cash on delivery: RMS charges the buyer a payment fee (決済手数料, paymentCharge); 330 yen
# is the fee of Rakuten's own COD up to 10,000 yen.
COD_FEE_JPY: Final = 330
# Shares of orders, by a stable hash of the order number: buyers pay part of ~30% of orders
# with points (at most 30% of the order, 3,000 points), ~8% carry a Rakuten-funded coupon
# (楽天原資: couponCapitalCode 3 サービス), and ~15% of orders of two or more lines go to two
# addresses (a gift sent apart from the buyer's own items: two PackageModels).
_POINTS_PERCENT: Final = 30
_RAKUTEN_COUPON_PERCENT: Final = 8
_RAKUTEN_COUPONS_JPY: Final = (300, 500, 1000)
_SPLIT_PERCENT: Final = 15


@dataclass(frozen=True)
class Payment:
    """How the buyer pays an order worth `value_jpy` to the shop, as RMS shows it."""

    value_jpy: int  # goods + postage - the shop's own coupons: what the shop is paid
    rakuten_coupon_jpy: int  # couponOtherPrice: Rakuten pays it to the shop
    points_jpy: int  # PointModel.usedPoint: Rakuten pays it to the shop
    cod_fee_jpy: int  # paymentCharge, on top of value_jpy

    @property
    def request_jpy(self) -> int:
        """requestPrice: what the buyer is charged."""
        return self.value_jpy - self.rakuten_coupon_jpy - self.points_jpy + self.cod_fee_jpy


def payment(order_number: str, payment_method: str | None, value_jpy: int) -> Payment:
    """The order's points, Rakuten coupon and COD fee: chosen once per order number, and
    capped so that what the buyer is charged never goes below the COD fee (a partial return
    lowers `value_jpy`)."""
    value = max(value_jpy, 0)
    coupon = 0
    if synthetic_int("rakuten-coupon", order_number) % 100 < _RAKUTEN_COUPON_PERCENT:
        pick = synthetic_int("rakuten-coupon-amount", order_number)
        coupon = min(_RAKUTEN_COUPONS_JPY[pick % len(_RAKUTEN_COUPONS_JPY)], value)
    points = 0
    if synthetic_int("points", order_number) % 100 < _POINTS_PERCENT:
        wanted = 1 + synthetic_int("points-amount", order_number) % 3000
        points = min(wanted, value * 3 // 10, value - coupon)
    fee = COD_FEE_JPY if payment_method == "cod" else 0
    return Payment(value, coupon, points, fee)


def is_split(order_number: str, line_count: int) -> bool:
    """Whether the order's items go to two addresses (two PackageModels)."""
    return line_count >= 2 and synthetic_int("packages", order_number) % 100 < _SPLIT_PERCENT


def req_price_tax(req_price: int, rate: float) -> int:
    """The tax part of a tax-inclusive amount, to the nearest yen (RMS's getOrderItem sample:
    reqPrice 8,235 at 10% has reqPriceTax 749, where flooring gives 748)."""
    return round(req_price * rate / (1 + rate))

"""The parts of getOrder's ``OrderModel`` that are not amounts: people, payment, changes.

Cancellations and refunds are written as RMS books them in ``ChangeReasonModelList`` (see
`order_json` for when each applies): ``changeReason`` 0 is the shop's doing (店舗様都合),
1 the customer's (お客様都合), with RMS's ``changeReasonDetail`` codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from ichigen.sandbox.simulators.rakuten.format import (
    order_time,
    phone_parts,
    synthetic_int,
    zip_parts,
)

__all__ = ["change_reasons", "person", "settlement"]

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

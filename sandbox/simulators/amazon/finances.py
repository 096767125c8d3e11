"""The Finances API (v0) ``listFinancialEvents``: how Amazon reports refunds.

Amazon has no refund object in its Orders API; a refund shows up as a ``RefundEvent`` in
``FinancialEvents.RefundEventList`` when it is posted. The sandbox posts one event per amazon
order and refund time (its returned lines as ``ShipmentItemAdjustmentList``), at the world's
``refunded_at``. Following Amazon.co.jp for tax-registered sellers, finance amounts are split
into a tax-exclusive ``Principal`` and the consumption ``Tax``, both negative for a refund; their
sum is the refund. About one return in twenty (`_RESTOCKING_SHARE`) is charged a
``RestockingFee`` (a positive charge, 10% of the item's refund here): the Principal then
refunds the item in full and the fee is kept back, so the charges still add up to what the
buyer got back, the world's ``refund_jpy``. Fees (referral fee refunds) and the other event
lists are not simulated: those lists are present and empty.

Rules kept from Amazon: ``PostedBefore`` needs ``PostedAfter``; neither may lie in the future;
a window longer than 180 days returns no events; ``MaxResultsPerPage`` is 1-100 (default 100);
a ``NextToken`` carries the query on.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.amazon.common import (
    CURRENCY,
    MARKETPLACE_NAME,
    decode_token,
    encode_token,
    invalid_input,
    iso_z,
    parse_int,
    parse_time,
)
from ichigen.sandbox.simulators.http import Request
from ichigen.sandbox.world import World

__all__ = ["MAX_WINDOW", "FinancesApi"]

MAX_WINDOW: Final = timedelta(days=180)
_EMPTY_LISTS: Final = (
    "ShipmentEventList",
    "ShipmentSettleEventList",
    "GuaranteeClaimEventList",
    "ChargebackEventList",
    "PayWithAmazonEventList",
    "ServiceProviderCreditEventList",
    "RetrochargeEventList",
    "RentalTransactionEventList",
    "ProductAdsPaymentEventList",
    "ServiceFeeEventList",
    "SellerDealPaymentEventList",
    "DebtRecoveryEventList",
    "LoanServicingEventList",
    "AdjustmentEventList",
    "SAFETReimbursementEventList",
    "SellerReviewEnrollmentPaymentEventList",
    "FBALiquidationEventList",
    "CouponPaymentEventList",
    "ImagingServicesFeeEventList",
    "NetworkComminglingTransactionEventList",
    "AffordabilityExpenseEventList",
    "AffordabilityExpenseReversalEventList",
    "RemovalShipmentEventList",
    "RemovalShipmentAdjustmentEventList",
    "TrialShipmentEventList",
    "TDSReimbursementEventList",
    "AdhocDisbursementEventList",
    "TaxWithholdingEventList",
    "ChargeRefundEventList",
    "FailedAdhocDisbursementEventList",
    "ValueAddedServiceChargeEventList",
    "CapacityReservationBillingEventList",
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_RESTOCKING_SHARE: Final = 20  # one return in this many pays a restocking fee


def _us(value: datetime) -> int:
    return int((value - _EPOCH) / timedelta(microseconds=1))


def _charge(kind: str, amount: int) -> dict[str, Any]:
    return {
        "ChargeType": kind,
        "ChargeAmount": {"CurrencyCode": CURRENCY, "CurrencyAmount": float(amount)},
    }


def _adjustment_item_id(return_id: str) -> str:
    # Amazon's ids are opaque digits; derive a stable one so re-reads agree.
    digest = hashlib.sha256(return_id.encode()).hexdigest()
    return str(int(digest[:12], 16) % 10**14).zfill(14)


class FinancesApi:
    def __init__(self, world: World) -> None:
        self.world = world

    def list_financial_events(self, request: Request) -> dict[str, Any]:
        token = request.arg("NextToken")
        if token:
            state = decode_token(token, "listFinancialEvents")
            try:
                after, before, size = int(state["a"]), int(state["b"]), int(state["n"])
                last = (int(state["k"][0]), str(state["k"][1]))
            except (KeyError, IndexError, TypeError, ValueError):
                raise invalid_input("Invalid NextToken.") from None
        else:
            after, before, size = self._window(request)
            last = None
        with self.world.lock:
            refunds = self._refunds(after, before)
        events = (
            refunds.select("_key", "channel_order_id").unique().sort("_key", "channel_order_id")
        )
        if last is not None:
            events = events.filter(
                (pl.col("_key") > last[0])
                | ((pl.col("_key") == last[0]) & (pl.col("channel_order_id") > last[1]))
            )
        if before - after > MAX_WINDOW / timedelta(microseconds=1):
            events = events.clear()  # Amazon answers an over-long window with nothing
        page = events.head(size)
        payload: dict[str, Any] = {
            "FinancialEvents": {
                "RefundEventList": self._events(refunds, page),
                **{name: [] for name in _EMPTY_LISTS},
            }
        }
        if events.height > size:
            state_out = {"a": after, "b": before, "n": size}
            key = [int(page["_key"][-1]), str(page["channel_order_id"][-1])]
            payload["NextToken"] = encode_token("listFinancialEvents", {**state_out, "k": key})
        return payload

    def _window(self, request: Request) -> tuple[int, int, int]:
        now = self.world.now
        posted_after = parse_time(request, "PostedAfter")
        posted_before = parse_time(request, "PostedBefore")
        if posted_before is not None and posted_after is None:
            raise invalid_input("PostedAfter is required when PostedBefore is specified.")
        before = now if posted_before is None else posted_before
        after = before - MAX_WINDOW if posted_after is None else posted_after
        if before > now or after > now:
            raise invalid_input("Dates must not be later than the current time.")
        if after > before:
            raise invalid_input("PostedBefore must be later than PostedAfter.")
        size = parse_int(request, "MaxResultsPerPage", default=100, low=1, high=100)
        return _us(after), _us(before), size

    def _refunds(self, after: int, before: int) -> pl.DataFrame:
        """Visible refunds of amazon orders posted in [after, before], one row per returned line."""
        orders = self.world.tables["orders"].filter(pl.col("channel") == "amazon")
        return (
            self.world.visible_returns()
            .join(orders.select("order_id", "channel_order_id"), on="order_id", how="inner")
            .with_columns(pl.col("refunded_at").dt.epoch("us").alias("_key"))
            .filter(pl.col("_key").is_between(after, before))
        )

    def _events(self, refunds: pl.DataFrame, page: pl.DataFrame) -> list[dict[str, Any]]:
        lines = refunds.join(page, on=["_key", "channel_order_id"], how="semi").sort(
            "_key", "channel_order_id", "line_no", "return_id"
        )
        events: list[dict[str, Any]] = []
        for (_, order_id), group in lines.group_by("_key", "channel_order_id", maintain_order=True):
            first = group.row(0, named=True)
            events.append(
                {
                    "AmazonOrderId": order_id,
                    "SellerOrderId": order_id,
                    "MarketplaceName": MARKETPLACE_NAME,
                    "PostedDate": iso_z(first["refunded_at"]),
                    "ShipmentItemAdjustmentList": [
                        self._item(row) for row in group.iter_rows(named=True)
                    ],
                }
            )
        return events

    @staticmethod
    def _item(row: dict[str, Any]) -> dict[str, Any]:
        refund = int(row["refund_jpy"])
        fee = 0
        if zlib.crc32(str(row["return_id"]).encode()) % _RESTOCKING_SHARE == 0:
            fee = refund // 10
        # the item's price back (tax-exclusive Principal and its Tax), less the fee kept
        tax = (refund + fee) * 10 // 110
        charges = [_charge("Principal", -(refund + fee - tax)), _charge("Tax", -tax)]
        if fee:
            charges.append(_charge("RestockingFee", fee))
        return {
            "SellerSKU": row["sku"],
            "OrderAdjustmentItemId": _adjustment_item_id(row["return_id"]),
            "QuantityShipped": int(row["quantity"]),
            "ItemChargeAdjustmentList": charges,
        }

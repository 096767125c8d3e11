"""What happens to an order after it is placed, and which lines come back.

Every event is sampled when the order is created, including those that lie after the clock:
the world only reveals them as time passes. Nulls are `NULL_TS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ichigen.sandbox.generator.channels import (
    PAYMENT_P,
    PAYMENTS,
    REASON_P,
    RETURN_CATEGORY,
    RETURN_CHANNEL,
)
from ichigen.sandbox.generator.clock import DAY_US, HOUR_US, NULL_TS
from ichigen.sandbox.schema import RETURN_REASONS

__all__ = ["OrderEvents", "Returns", "order_events", "sample_returns"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CARD, _KONBINI, _COD, _BANK, _INVOICE, _CASH = range(len(PAYMENTS))
_CUSTOMER, _TIMEOUT, _OUT_OF_STOCK, _FRAUD = range(4)
_POS, _WHOLESALE = 3, 4
_MINUTE = 60_000_000
# shipping and delivery delays per channel, hours (low, high)
_SHIP_H = np.array([[3, 72], [1, 20], [5, 72], [0, 0], [24, 120]])
_DELIVER_H = np.array([[20, 72], [10, 44], [20, 72], [0, 0], [20, 60]])
_NOT_RESTOCKED = np.array(
    [r in ("defect", "damaged_in_transit") for r in RETURN_REASONS], dtype=bool
)


@dataclass(frozen=True)
class OrderEvents:
    payment: IntArray  # index into PAYMENTS
    paid: IntArray
    shipped: IntArray
    delivered: IntArray
    cancelled: IntArray
    cancel_reason: IntArray  # index into CANCEL_REASONS, -1 when not cancelled
    note_updated: IntArray

    @property
    def is_cancelled(self) -> BoolArray:
        result: BoolArray = self.cancelled != NULL_TS
        return result


def _uniform_us(
    rng: np.random.Generator, lo_h: IntArray | float, hi_h: IntArray | float, n: int
) -> IntArray:
    return (rng.uniform(lo_h, hi_h, n) * HOUR_US).astype(np.int64)


def _pick(rng: np.random.Generator, probs: npt.NDArray[np.float64]) -> IntArray:
    """One draw per row of a (n, k) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    drawn: IntArray = (u[:, None] >= cum).sum(axis=1)
    result: IntArray = np.minimum(drawn, probs.shape[1] - 1)
    return result


def order_events(channel: IntArray, created: IntArray, rng: np.random.Generator) -> OrderEvents:
    n = channel.size
    payment = _pick(rng, PAYMENT_P[channel])
    paid = np.full(n, NULL_TS, dtype=np.int64)
    cancelled = np.full(n, NULL_TS, dtype=np.int64)
    reason = np.full(n, -1, dtype=np.int64)

    card = payment == _CARD
    paid[card] = created[card] + rng.integers(5, 120, int(card.sum())) * 1_000_000
    cash = payment == _CASH
    paid[cash] = created[cash]
    # konbini and bank transfers are paid within three days, or the order lapses
    later = (payment == _KONBINI) | (payment == _BANK)
    pays = later & (rng.random(n) < 0.88)
    paid[pays] = created[pays] + (rng.beta(1.0, 2.5, int(pays.sum())) * 72 * HOUR_US).astype(
        np.int64
    )
    lapses = later & ~pays
    cancelled[lapses] = created[lapses] + 72 * HOUR_US + _uniform_us(rng, 0, 6, int(lapses.sum()))
    reason[lapses] = _TIMEOUT

    prepaid = card | cash | pays
    ready = np.where(prepaid, paid, created)
    ship_h = _SHIP_H[channel]
    shipped = ready + (rng.uniform(ship_h[:, 0], ship_h[:, 1]) * HOUR_US).astype(np.int64)
    deliver_h = _DELIVER_H[channel]
    delivered = shipped + (rng.uniform(deliver_h[:, 0], deliver_h[:, 1]) * HOUR_US).astype(np.int64)
    # cash on delivery is paid at the door; invoices at the end of the following month or so
    cod = payment == _COD
    paid[cod] = delivered[cod]
    invoice = payment == _INVOICE
    paid[invoice] = delivered[invoice] + rng.integers(20, 46, int(invoice.sum())) * DAY_US

    u = rng.random(n)
    remote = (channel != _POS) & (reason < 0)
    by_customer = remote & (u < 0.012)
    frac = rng.uniform(0.05, 0.9, n)
    cancelled[by_customer] = created[by_customer] + (
        frac[by_customer] * (shipped[by_customer] - created[by_customer])
    ).astype(np.int64)
    reason[by_customer] = _CUSTOMER
    short = remote & (channel != 1) & (channel != _WHOLESALE) & (u >= 0.012) & (u < 0.015)
    cancelled[short] = created[short] + _uniform_us(rng, 4, 36, int(short.sum()))
    reason[short] = _OUT_OF_STOCK
    fraud = remote & card & ((channel == 0) | (channel == 2)) & (u >= 0.015) & (u < 0.017)
    cancelled[fraud] = created[fraud] + _uniform_us(rng, 0.5, 12, int(fraud.sum()))
    reason[fraud] = _FRAUD

    gone = cancelled != NULL_TS
    shipped[gone] = NULL_TS
    delivered[gone] = NULL_TS
    paid[gone & (cod | invoice)] = NULL_TS

    note = np.full(n, NULL_TS, dtype=np.int64)
    edits = ~gone & (channel != _POS) & (rng.random(n) < 0.03)
    note[edits] = shipped[edits] + _uniform_us(rng, 2, 240, int(edits.sum()))
    return OrderEvents(payment, paid, shipped, delivered, cancelled, reason, note)


@dataclass(frozen=True)
class Returns:
    line: IntArray  # index of the returned line within the batch
    quantity: IntArray
    reason: IntArray  # index into RETURN_REASONS
    requested: IntArray
    refunded: IntArray
    restocked: BoolArray


def sample_returns(
    *,
    channel: IntArray,
    category: IntArray,
    quantity: IntArray,
    delivered: IntArray,
    rng: np.random.Generator,
) -> Returns:
    """Which delivered lines come back, why, when, and whether they go back on sale."""
    p = np.minimum(RETURN_CATEGORY[category] * RETURN_CHANNEL[channel], 0.5)
    hit = (delivered != NULL_TS) & (rng.random(channel.size) < p)
    line = np.flatnonzero(hit).astype(np.int64)
    ch, cat, qty = channel[line], category[line], quantity[line]
    n = line.size

    probs = REASON_P[cat].copy()
    at_store = ch == _POS
    probs[at_store, RETURN_REASONS.index("damaged_in_transit")] = 0.0
    probs[at_store, RETURN_REASONS.index("wrong_item")] = 0.0
    wholesale = ch == _WHOLESALE
    probs[wholesale] = 0.0
    probs[wholesale, RETURN_REASONS.index("defect")] = 1.0
    reason = _pick(rng, probs)

    partial = (qty > 1) & (rng.random(n) < 0.4)
    back = np.where(partial, rng.integers(1, np.maximum(qty, 2)), qty)

    base = delivered[line]
    days = np.where(at_store, rng.uniform(1, 14, n), rng.uniform(2, 30, n))
    requested = base + (days * DAY_US).astype(np.int64)
    wait = np.where(at_store, rng.uniform(0, 0.25, n), rng.uniform(48, 192, n))
    refunded = requested + (wait * HOUR_US).astype(np.int64) + _MINUTE
    restocked = ~_NOT_RESTOCKED[reason]
    return Returns(line, back.astype(np.int64), reason, requested, refunded, restocked)

"""Published getOrder answers, served in place of the world's orders.

The channel's documentation is the truth about shapes (tests/fixtures/rakuten/, each body's
source in that folder's README): with `DocumentedOrders` the simulator answers searchOrder and
getOrder from those ``OrderModel`` bodies, as published, while authentication, paging and rate
limits stay the simulator's own. Swapping `orders` between pulls shows an order as RMS
rewrites it (a partial return lowers its units and amounts in place).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from ichigen.sandbox.simulators.rakuten.format import parse_order_time
from ichigen.sandbox.simulators.rakuten.orders import SearchCriteria, SearchResult, search

__all__ = ["DocumentedOrders", "order_models"]

# OrderModel's dates by the frame column `orders.DATE_COLUMNS` searches (an OrderModel shows
# no settlement date: dateType 6 finds none of them)
_DATE_FIELDS = {
    "created_at": "orderDatetime",
    "confirmed_at": "shopOrderCfmDatetime",
    "shipped_at": "shippingCmplRptDatetime",
}


def order_models(bodies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every ``OrderModel`` of the given getOrder response bodies, in order."""
    return [dict(order) for body in bodies for order in body.get("OrderModelList") or []]


def _moment(order: Mapping[str, Any], field: str) -> Any:
    raw = order.get(field)
    return parse_order_time(raw) if isinstance(raw, str) else None


class DocumentedOrders:
    """The orders a documented shop holds; `replace` them to show a later state."""

    def __init__(self, orders: Sequence[Mapping[str, Any]]) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, dict[str, Any]] = {}
        self.replace(orders)

    def replace(self, orders: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            self._orders = {str(o["orderNumber"]): dict(o) for o in orders}

    def search(self, criteria: SearchCriteria) -> SearchResult:
        with self._lock:
            orders = list(self._orders.values())
        frame = pl.DataFrame(
            {
                "channel_order_id": [str(o["orderNumber"]) for o in orders],
                "order_progress": [o.get("orderProgress") for o in orders],
                **{
                    column: [_moment(o, field) for o in orders]
                    for column, field in _DATE_FIELDS.items()
                },
                "paid_at": [None for _ in orders],
            },
            schema_overrides={
                "order_progress": pl.Int64,
                **{c: pl.Datetime("us", "UTC") for c in (*_DATE_FIELDS, "paid_at")},
            },
        )
        return search(frame, criteria)

    def get(self, numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The bodies of the numbers held, by number."""
        with self._lock:
            return {n: self._orders[n] for n in numbers if n in self._orders}

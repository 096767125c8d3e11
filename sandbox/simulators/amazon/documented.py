"""A seller account that answers with given documents instead of the world's orders.

Amazon's own example responses (tests/fixtures/amazon/, each file's source in its README) are
served through the same app as the world: the connector still signs in with Login with Amazon,
asks for a Restricted Data Token, is paced by the operations' token buckets and pages with
``NextToken``. Only where the records come from changes. The documents are served as given,
with Amazon's rules kept:

- getOrders filters on ``LastUpdateDate`` (or ``PurchaseDate``) between the query's bounds,
  oldest first, a page of ``MaxResultsPerPage`` at a time, and hides the buyer's personal data
  unless the call's RDT opens it (`order_json.redact`);
- getOrderItems answers the items given for the order (an order given none has none);
- listFinancialEvents answers the refund events posted in ``[PostedAfter, PostedBefore]``, and
  nothing for a window longer than 180 days, as Amazon does;
- getInventorySummaries answers every summary given, in pages.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from ichigen.sandbox.schema import TABLES
from ichigen.sandbox.simulators.amazon.common import (
    amazon_error,
    decode_token,
    encode_token,
    invalid_input,
    iso_z,
    parse_int,
    parse_time,
)
from ichigen.sandbox.simulators.amazon.finances import MAX_WINDOW
from ichigen.sandbox.simulators.amazon.order_json import redact
from ichigen.sandbox.simulators.faults import FaultInjector
from ichigen.sandbox.simulators.http import Request
from ichigen.sandbox.world import World

__all__ = ["DocumentedAccount", "empty_world"]

_EMPTY_LISTS: Final = ("ShipmentEventList", "ChargebackEventList", "AdjustmentEventList")


def empty_world(now: datetime) -> World:
    """A world with no business in it, at `now`: the clock a documented account answers by."""
    tables = {name: pl.DataFrame(schema=schema) for name, schema in TABLES.items()}
    return World(tables, now=now.astimezone(UTC), manifest={"clock": now.isoformat()})


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class DocumentedAccount:
    """The records one seller's account holds, as Amazon documents them."""

    now: datetime
    orders: list[dict[str, Any]] = field(default_factory=list)  # Order objects
    order_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refund_events: list[dict[str, Any]] = field(default_factory=list)  # RefundEventList
    inventory_summaries: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 50  # of inventory summaries, as Amazon's

    # --- Orders API ---------------------------------------------------------------------

    def get_orders(
        self, request: Request, faults: FaultInjector, *, pii: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        token = request.arg("NextToken")
        if token:
            state = decode_token(token, "getOrders")
            field_name, after, before = str(state["f"]), _time(state["a"]), _time(state["b"])
            size, start = int(state["n"]), int(state["o"])
            statuses = [str(s) for s in state["s"]]
        else:
            created, updated = (
                parse_time(request, "CreatedAfter"),
                parse_time(request, "LastUpdatedAfter"),
            )
            if (created is None) == (updated is None):
                raise invalid_input("Exactly one of CreatedAfter and LastUpdatedAfter is required.")
            field_name = "PurchaseDate" if created is not None else "LastUpdateDate"
            after = created or updated or self.now
            bound = "CreatedBefore" if created is not None else "LastUpdatedBefore"
            before = parse_time(request, bound) or self.now
            if before > self.now or after > self.now:
                raise invalid_input("Dates must not be later than the current time.")
            size = parse_int(request, "MaxResultsPerPage", default=100, low=1, high=100)
            start = 0
            statuses = request.args("OrderStatuses")
        matching = sorted(
            (
                o
                for o in self.orders
                if after <= _time(o[field_name]) <= before
                and (not statuses or o.get("OrderStatus") in statuses)
            ),
            key=lambda o: (_time(o[field_name]), o["AmazonOrderId"]),
        )
        page = matching[start : start + size]
        payload: dict[str, Any] = {"Orders": [redact(copy.deepcopy(o), pii) for o in page]}
        if start + size < len(matching):
            payload["NextToken"] = encode_token(
                "getOrders",
                {
                    "f": field_name,
                    "a": iso_z(after),
                    "b": iso_z(before),
                    "n": size,
                    "o": start + size,
                    "s": statuses,
                },
            )
        echo = "CreatedBefore" if field_name == "PurchaseDate" else "LastUpdatedBefore"
        payload[echo] = iso_z(before)
        return payload

    def _order(self, amazon_order_id: str) -> dict[str, Any]:
        for order in self.orders:
            if order.get("AmazonOrderId") == amazon_order_id:
                return order
        raise amazon_error(404, "NotFound", f"Order {amazon_order_id} was not found.")

    def get_order(
        self, amazon_order_id: str, *, pii: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        return redact(copy.deepcopy(self._order(amazon_order_id)), pii)

    def get_order_items(self, request: Request, amazon_order_id: str) -> dict[str, Any]:
        self._order(amazon_order_id)
        items = copy.deepcopy(self.order_items.get(amazon_order_id, []))
        return {"AmazonOrderId": amazon_order_id, "OrderItems": items}

    # --- Finances API -------------------------------------------------------------------

    def list_financial_events(self, request: Request) -> dict[str, Any]:
        token = request.arg("NextToken")
        if token:
            state = decode_token(token, "listFinancialEvents")
            after, before, size, start = (
                _time(state["a"]),
                _time(state["b"]),
                int(state["n"]),
                int(state["o"]),
            )
        else:
            posted_after = parse_time(request, "PostedAfter")
            posted_before = parse_time(request, "PostedBefore")
            if posted_before is not None and posted_after is None:
                raise invalid_input("PostedAfter is required when PostedBefore is specified.")
            before = posted_before or self.now
            after = posted_after or before - MAX_WINDOW
            if before > self.now or after > self.now:
                raise invalid_input("Dates must not be later than the current time.")
            size = parse_int(request, "MaxResultsPerPage", default=100, low=1, high=100)
            start = 0
        events = sorted(
            (e for e in self.refund_events if after <= _time(e["PostedDate"]) <= before),
            key=lambda e: (_time(e["PostedDate"]), e.get("AmazonOrderId") or ""),
        )
        if before - after > MAX_WINDOW:
            events = []  # Amazon answers an over-long window with nothing
        page = events[start : start + size]
        payload: dict[str, Any] = {
            "FinancialEvents": {
                "RefundEventList": copy.deepcopy(page),
                **{name: [] for name in _EMPTY_LISTS},
            }
        }
        if start + size < len(events):
            payload["NextToken"] = encode_token(
                "listFinancialEvents",
                {"a": iso_z(after), "b": iso_z(before), "n": size, "o": start + size},
            )
        return payload

    # --- FBA Inventory API --------------------------------------------------------------

    def summaries(self, request: Request, marketplace_id: str) -> dict[str, Any]:
        offset = 0
        token = request.arg("nextToken")
        if token:
            offset = int(decode_token(token, "getInventorySummaries", field="nextToken")["o"])
        page = self.inventory_summaries[offset : offset + self.page_size]
        answer: dict[str, Any] = {
            "payload": {
                "granularity": {"granularityType": "Marketplace", "granularityId": marketplace_id},
                "inventorySummaries": copy.deepcopy(page),
            }
        }
        if offset + self.page_size < len(self.inventory_summaries):
            answer["pagination"] = {
                "nextToken": encode_token("getInventorySummaries", {"o": offset + self.page_size})
            }
        return answer

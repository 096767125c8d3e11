"""The Orders API (v0) operations: getOrders, getOrder and getOrderItems, with their rules.

getOrders takes exactly one of ``CreatedAfter`` / ``LastUpdatedAfter`` (inclusive) and an
optional matching ``...Before`` bound that must not lie in the future; the bound used is echoed
as ``CreatedBefore`` / ``LastUpdatedBefore`` in the payload. With ``NextToken`` the token alone
decides what is returned (only ``MarketplaceIds`` is still required), as on Amazon. Pages are
keyset ranges over the live world ordered by the date filtered on, so an order updated while a
client pages may move past the pages already read; the ``duplicates`` fault starts a page a few
orders early, and ``late_updates`` edits an order with a time behind the newest change, so that
only a connector that re-reads a lookback window sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.amazon.common import (
    amazon_error,
    decode_token,
    encode_token,
    invalid_input,
    iso_z,
    parse_int,
    parse_time,
)
from ichigen.sandbox.simulators.amazon.order_json import (
    ORDER_STATUSES,
    format_items,
    format_orders,
    with_status,
)
from ichigen.sandbox.simulators.faults import FaultInjector
from ichigen.sandbox.simulators.http import Request
from ichigen.sandbox.world import World

__all__ = ["DEFAULT_ITEMS_PAGE_SIZE", "OrdersApi", "OrdersQuery"]

# Amazon pages order items only for large orders; the sandbox pages small ones so that a
# connector's item paging is exercised by ordinary data.
DEFAULT_ITEMS_PAGE_SIZE: Final = 3
_MAX_REPEATED: Final = 3
_MAX_LATE_MINUTES: Final = 20
_CHANNELS: Final = frozenset({"AFN", "MFN"})
_PAYMENT_METHODS: Final = frozenset({"COD", "CVS", "Other"})


def _epoch_us(value: datetime) -> int:
    return int((value - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))


def _from_epoch_us(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


def _choices(request: Request, name: str, allowed: frozenset[str] | tuple[str, ...]) -> list[str]:
    values = request.args(name)
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise invalid_input(f"Invalid {name} value(s) [{', '.join(unknown)}].")
    return values


@dataclass(frozen=True)
class OrdersQuery:
    mode: str  # "created": filter and order on PurchaseDate; "updated": on LastUpdateDate
    after: int  # epoch microseconds, inclusive
    before: int
    statuses: tuple[str, ...]
    channels: tuple[str, ...]
    payment_methods: tuple[str, ...]
    order_ids: tuple[str, ...]
    page_size: int
    last: tuple[int, str] | None = None  # key of the last order served

    def token(self, last: tuple[int, str]) -> str:
        return encode_token(
            "getOrders",
            {
                "m": self.mode,
                "a": self.after,
                "b": self.before,
                "s": list(self.statuses),
                "c": list(self.channels),
                "p": list(self.payment_methods),
                "i": list(self.order_ids),
                "n": self.page_size,
                "k": [last[0], last[1]],
            },
        )

    @classmethod
    def from_token(cls, token: str) -> OrdersQuery:
        state = decode_token(token, "getOrders")
        try:
            return cls(
                mode=str(state["m"]),
                after=int(state["a"]),
                before=int(state["b"]),
                statuses=tuple(str(s) for s in state["s"]),
                channels=tuple(str(s) for s in state["c"]),
                payment_methods=tuple(str(s) for s in state["p"]),
                order_ids=tuple(str(s) for s in state["i"]),
                page_size=int(state["n"]),
                last=(int(state["k"][0]), str(state["k"][1])),
            )
        except (KeyError, IndexError, TypeError, ValueError):
            raise invalid_input("Invalid NextToken.") from None

    @classmethod
    def parse(cls, request: Request, now: datetime) -> OrdersQuery:
        token = request.arg("NextToken")
        if token:
            return cls.from_token(token)
        created_after = parse_time(request, "CreatedAfter")
        updated_after = parse_time(request, "LastUpdatedAfter")
        created_before = parse_time(request, "CreatedBefore")
        updated_before = parse_time(request, "LastUpdatedBefore")
        if (created_after is None) == (updated_after is None):
            raise invalid_input("Exactly one of CreatedAfter and LastUpdatedAfter is required.")
        if created_after is not None and updated_before is not None:
            raise invalid_input("LastUpdatedBefore cannot be used with CreatedAfter.")
        if updated_after is not None and created_before is not None:
            raise invalid_input("CreatedBefore cannot be used with LastUpdatedAfter.")
        mode = "created" if created_after is not None else "updated"
        after = created_after or updated_after
        assert after is not None
        before = created_before or updated_before or now
        if before > now or after > now:
            raise invalid_input("Dates must not be later than the current time.")
        if after > before:
            raise invalid_input("The Before date must be equal to or after the After date.")
        order_ids = request.args("AmazonOrderIds")
        if len(order_ids) > 50:
            raise invalid_input("AmazonOrderIds accepts at most 50 values.")
        return cls(
            mode=mode,
            after=_epoch_us(after),
            before=_epoch_us(before),
            statuses=tuple(_choices(request, "OrderStatuses", ORDER_STATUSES)),
            channels=tuple(_choices(request, "FulfillmentChannels", _CHANNELS)),
            payment_methods=tuple(_choices(request, "PaymentMethods", _PAYMENT_METHODS)),
            order_ids=tuple(order_ids),
            page_size=parse_int(request, "MaxResultsPerPage", default=100, low=1, high=100),
        )


class OrdersApi:
    def __init__(
        self,
        world: World,
        *,
        marketplace_id: str,
        items_page_size: int = DEFAULT_ITEMS_PAGE_SIZE,
    ) -> None:
        self.world = world
        self.marketplace_id = marketplace_id
        self.items_page_size = items_page_size

    def _orders(self) -> pl.DataFrame:
        """The visible amazon orders with their Amazon status; call with the world locked.

        A connector asks for the items of every order, one call each, so the frame is derived
        once per state of the world (`World.derived`), not per call.
        """
        return self.world.derived(
            "amazon:orders", lambda: with_status(self.world.visible_orders("amazon"))
        )

    def _row_of(self) -> dict[str, int]:
        """Each visible order's row in `_orders()`, by AmazonOrderId."""

        def index() -> dict[str, int]:
            ids = self._orders()["channel_order_id"].to_list()
            # reversed, so that an id seen twice keeps its first row, as a filter's head would
            return {order_id: at for at, order_id in reversed(list(enumerate(ids)))}

        return self.world.derived("amazon:order_rows", index)

    def get_orders(
        self, request: Request, faults: FaultInjector, *, pii: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """The getOrders payload; `faults` decides the data faults of this page.

        `pii` are the data elements the call's Restricted Data Token opens (none without one).
        """
        with self.world.lock:
            query = OrdersQuery.parse(request, self.world.now)
            self._maybe_late_update(faults)
            rows, last, more = self._page(query, faults)
            orders = format_orders(self.world, rows, self.marketplace_id, pii=pii)
        payload: dict[str, Any] = {"Orders": orders}
        if more and last is not None:
            payload["NextToken"] = query.token(last)
        bound = "CreatedBefore" if query.mode == "created" else "LastUpdatedBefore"
        payload[bound] = iso_z(_from_epoch_us(query.before))
        return payload

    def _page(
        self, query: OrdersQuery, faults: FaultInjector
    ) -> tuple[pl.DataFrame, tuple[int, str] | None, bool]:
        # kept for the query's next pages while the world stands still (`World.derived`)
        frame = self.world.derived(
            f"amazon:getOrders:{replace(query, last=None)}",
            lambda: self._matching(query),
        )
        repeat = 0
        if query.last is not None:
            at, order_id = query.last
            seen = (pl.col("_key") < at) | (
                (pl.col("_key") == at) & (pl.col("channel_order_id") <= order_id)
            )
            older = frame.filter(seen)
            frame = frame.filter(~seen)
            if query.page_size > 1 and not older.is_empty() and faults.chance("duplicates"):
                repeat = min(1 + faults.pick(_MAX_REPEATED), query.page_size - 1, older.height)
                frame = pl.concat([older.tail(repeat), frame])
        page = frame.head(query.page_size)
        more = frame.height > query.page_size
        last = None
        if not page.is_empty():
            last = (int(page["_key"][-1]), str(page["channel_order_id"][-1]))
        return page.drop("_key"), last, more

    def _matching(self, query: OrdersQuery) -> pl.DataFrame:
        """The orders a query asks for, in the order its pages go (``_key``, then the id)."""
        column = "created_at" if query.mode == "created" else "updated_at"
        frame = self._orders().with_columns(pl.col(column).dt.epoch("us").alias("_key"))
        frame = frame.filter(pl.col("_key").is_between(query.after, query.before))
        for name, values in (
            ("status", query.statuses),
            ("fulfillment", query.channels),
            ("amazon_payment_method", query.payment_methods),
            ("channel_order_id", query.order_ids),
        ):
            if values:
                frame = frame.filter(pl.col(name).is_in(values))
        return frame.sort("_key", "channel_order_id")

    def _maybe_late_update(self, faults: FaultInjector) -> None:
        """The late_updates fault: edit an order at a time just behind the newest change."""
        if not faults.chance("late_updates"):
            return
        orders = self.world.visible_orders("amazon")
        if orders.is_empty():
            return
        newest: datetime = orders["updated_at"].max()  # type: ignore[assignment]
        at = newest - timedelta(minutes=1 + faults.pick(_MAX_LATE_MINUTES))
        candidates = orders.filter((pl.col("updated_at") < at) & pl.col("cancelled_at").is_null())
        if candidates.is_empty():
            return
        self.world.touch_order(candidates["order_id"][faults.pick(candidates.height)], at)

    def _find(self, amazon_order_id: str) -> pl.DataFrame:
        at = self._row_of().get(amazon_order_id)
        if at is None:
            raise amazon_error(404, "NotFound", f"Order {amazon_order_id} was not found.")
        return self._orders().slice(at, 1)

    def get_order(
        self, amazon_order_id: str, *, pii: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        with self.world.lock:
            found = self._find(amazon_order_id)
            return format_orders(self.world, found, self.marketplace_id, pii=pii)[0]

    def get_order_items(self, request: Request, amazon_order_id: str) -> dict[str, Any]:
        start = 0
        token = request.arg("NextToken")
        if token:
            state = decode_token(token, "getOrderItems")
            if state.get("o") != amazon_order_id or not isinstance(state.get("s"), int):
                raise invalid_input("Invalid NextToken.")
            start = int(state["s"])
        with self.world.lock:
            order = self._find(amazon_order_id).row(0, named=True)
            lines = self.world.lines_of([order["order_id"]]).sort("line_no")
            page = lines.slice(start, self.items_page_size)
            items = format_items(self.world, order, page)
        payload: dict[str, Any] = {"AmazonOrderId": amazon_order_id, "OrderItems": items}
        end = start + self.items_page_size
        if end < lines.height:
            payload["NextToken"] = encode_token("getOrderItems", {"o": amazon_order_id, "s": end})
        return payload

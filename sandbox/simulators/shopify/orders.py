"""The world's Shopify orders as the Admin REST API shows them: statuses, filters, order.

The world stores an order's lifecycle as event timestamps (see `sandbox.schema`); Shopify shows
its consequences. As of the world's clock:

- ``financial_status``: ``pending`` until ``paid_at``; ``paid``; ``partially_refunded`` or
  ``refunded`` once refunds add up; ``voided`` when cancelled before payment. A paid order
  that is cancelled is refunded in full at cancellation, as Shopify's cancel does.
- ``fulfillment_status``: null until shipped, then ``fulfilled``.
- ``closed_at``: orders are archived once paid and fulfilled, or when cancelled.

The JSON of an order is `order_json`'s job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import polars as pl

from ichigen.sandbox.simulators.shopify.format import parse_timestamp, synthetic_id
from ichigen.sandbox.simulators.shopify.paging import SortKey, bad_request
from ichigen.sandbox.world import World

__all__ = [
    "ORDER_FILTERS",
    "epoch",
    "filter_orders",
    "order_frame",
    "order_sort_keys",
    "shopify_id",
    "tax_part",
    "time_filter",
]

ORDER_FILTERS: Final = (
    "ids",
    "status",
    "financial_status",
    "fulfillment_status",
    "created_at_min",
    "created_at_max",
    "updated_at_min",
    "updated_at_max",
    "processed_at_min",
    "processed_at_max",
    "since_id",
    "order",
)
_SORTABLE: Final = {
    "created_at": "_k_created",
    "updated_at": "_k_updated",
    "processed_at": "_k_created",
}


def shopify_id(raw: str | None, *salt: object) -> int:
    """The world's channel id as Shopify's integer id; a stable synthetic one if not numeric."""
    if raw is not None and raw.isdigit():
        return int(raw)
    return synthetic_id(*salt, raw)


def tax_part(amount: int) -> int:
    return amount * 10 // 110


def epoch(column: str) -> pl.Expr:
    return pl.col(column).dt.epoch("us")


def order_frame(world: World) -> pl.DataFrame:
    """Visible Shopify orders with the statuses Shopify derives; call under `world.lock`.

    Derived once per state of the world (`World.derived`), not for every page.
    """
    return world.derived("shopify:orders", lambda: _order_frame(world))


def _order_frame(world: World) -> pl.DataFrame:
    orders = world.visible_orders("shopify")
    refunded = (
        world.visible_returns()
        .filter(pl.col("order_id").is_in(orders["order_id"].implode()))
        .group_by("order_id")
        .agg(pl.col("refund_jpy").sum().alias("returns_refunded_jpy"))
    )
    frame = orders.join(refunded, on="order_id", how="left").with_columns(
        pl.col("returns_refunded_jpy").fill_null(0),
        pl.col("channel_order_id").cast(pl.Int64).alias("id"),
    )
    cancelled_paid = pl.col("cancelled_at").is_not_null() & pl.col("paid_at").is_not_null()
    frame = frame.with_columns(
        pl.when(cancelled_paid)
        .then(pl.max_horizontal(pl.col("total_jpy") - pl.col("returns_refunded_jpy"), 0))
        .otherwise(0)
        .alias("cancel_refund_jpy")
    )
    refunded_total = pl.col("returns_refunded_jpy") + pl.col("cancel_refund_jpy")
    frame = frame.with_columns(
        pl.when(pl.col("cancelled_at").is_not_null() & pl.col("paid_at").is_null())
        .then(pl.lit("voided"))
        .when(pl.col("paid_at").is_null())
        .then(pl.lit("pending"))
        .when(refunded_total >= pl.col("total_jpy"))
        .then(pl.lit("refunded"))
        .when(refunded_total > 0)
        .then(pl.lit("partially_refunded"))
        .otherwise(pl.lit("paid"))
        .alias("financial_status"),
        pl.when(pl.col("shipped_at").is_not_null())
        .then(pl.lit("fulfilled"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("fulfillment_status"),
        pl.when(pl.col("cancelled_at").is_not_null())
        .then(pl.col("cancelled_at"))
        .when(pl.col("shipped_at").is_not_null() & pl.col("paid_at").is_not_null())
        .then(pl.max_horizontal("shipped_at", "paid_at"))
        .otherwise(None)
        .alias("closed_at"),
        refunded_total.alias("refunded_jpy"),
    )
    return frame.with_columns(
        epoch("created_at").alias("_k_created"),
        epoch("updated_at").alias("_k_updated"),
        pl.col("id").alias("_k_id"),
    )


def time_filter(name: str, raw: str) -> datetime:
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise bad_request(name, f"{raw!r} is not a valid date and time.") from None


def filter_orders(frame: pl.DataFrame, filters: dict[str, str]) -> pl.DataFrame:
    """Apply orders.json / orders/count.json filters (Shopify's default status is "open")."""
    conditions: list[pl.Expr] = []
    status = filters.get("status", "open")
    if status == "open":
        conditions.append(pl.col("closed_at").is_null() & pl.col("cancelled_at").is_null())
    elif status == "closed":
        conditions.append(pl.col("closed_at").is_not_null())
    elif status == "cancelled":
        conditions.append(pl.col("cancelled_at").is_not_null())
    elif status != "any":
        raise bad_request("status", f"{status!r} is not one of open, closed, cancelled, any.")
    financial = filters.get("financial_status", "any")
    if financial == "unpaid":
        conditions.append(pl.col("financial_status") == "pending")
    elif financial != "any":
        conditions.append(pl.col("financial_status") == financial)
    fulfillment = filters.get("fulfillment_status", "any")
    if fulfillment == "shipped":
        conditions.append(pl.col("fulfillment_status") == "fulfilled")
    elif fulfillment in ("unshipped", "unfulfilled"):
        conditions.append(pl.col("fulfillment_status").is_null())
    elif fulfillment == "partial":
        conditions.append(pl.lit(False))  # the world ships an order's lines together
    for column, filter_name in (
        ("created_at", "created_at"),
        ("updated_at", "updated_at"),
        ("created_at", "processed_at"),
    ):
        if (low := filters.get(f"{filter_name}_min")) is not None:
            conditions.append(pl.col(column) >= time_filter(f"{filter_name}_min", low))
        if (high := filters.get(f"{filter_name}_max")) is not None:
            conditions.append(pl.col(column) <= time_filter(f"{filter_name}_max", high))
    conditions.extend(id_filters(filters))
    return frame.filter(*conditions) if conditions else frame


def order_sort_keys(filters: dict[str, str]) -> list[SortKey]:
    """The `order` parameter ("updated_at asc"); newest first by default, by id after since_id."""
    raw = filters.get("order")
    if raw is None:
        if "since_id" in filters:
            return [("_k_id", False)]
        return [("_k_created", True), ("_k_id", True)]
    field, _, direction = raw.strip().partition(" ")
    direction = direction.strip().lower() or "asc"
    if direction not in ("asc", "desc") or field not in (*_SORTABLE, "id"):
        raise bad_request("order", f"{raw!r} is not a valid order.")
    descending = direction == "desc"
    if field == "id":
        return [("_k_id", descending)]
    return [(_SORTABLE[field], descending), ("_k_id", descending)]


def id_filters(filters: dict[str, str]) -> list[pl.Expr]:
    """The ``ids`` and ``since_id`` filters that Shopify's list endpoints share."""
    conditions: list[pl.Expr] = []
    try:
        if "ids" in filters:
            ids = [int(part) for part in filters["ids"].split(",") if part.strip()]
            conditions.append(pl.col("id").is_in(ids))
        if "since_id" in filters:
            conditions.append(pl.col("id") > int(filters["since_id"]))
    except ValueError:
        raise bad_request("ids", "Invalid value.") from None
    return conditions

"""Stock pushes: what a channel will be told, recorded in the outbox, and what became of it.

A push sets an absolute quantity per (channel, location, SKU), so sending it twice is harmless
(DESIGN.md decision 7). `preview_stock_push` shows what each channel is told now against what
it will be told; `record_stock_push` checks the role (`ichigen.ops.roles.require`: a refusal
raises `ActionRefusedError` and records nothing) and records one outbox action per listing;
`ichigen.ops.dispatch.dispatch` sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from ichigen.ops._shared import TIME, insert_action, int_or_none, new_id, where_equal
from ichigen.ops.errors import InvalidRequestError
from ichigen.ops.roles import Permission, Role, require
from ichigen.ops.store import OpsStore

__all__ = [
    "CHANNELS",
    "PREVIEW_SCHEMA",
    "STOCK_PUSH_SCHEMA",
    "StockItems",
    "StockPushItem",
    "last_accepted_pushes",
    "list_stock_pushes",
    "preview_by_channel",
    "preview_stock_push",
    "record_stock_push",
    "stock_pushes_that_differ",
]

CHANNELS: Final = ("shopify", "amazon", "rakuten")

PREVIEW_SCHEMA: Final[dict[str, pl.DataType]] = {
    "channel": pl.String(),
    "location_id": pl.String(),
    "sku": pl.String(),
    "listed_quantity": pl.Int64(),  # what the channel is told now (null: not known)
    "quantity": pl.Int64(),  # what it will be told (absolute)
    "change": pl.Int64(),  # quantity - listed_quantity (null when listed is not known)
    "available_to_promise": pl.Int64(),
    "safety_buffer_units": pl.Int64(),
    "differs": pl.Boolean(),  # the push would change what the channel shows (or may)
}

STOCK_PUSH_SCHEMA: Final[dict[str, pl.DataType]] = {
    "action_id": pl.String(),
    "batch_id": pl.String(),
    "channel": pl.String(),
    "location_id": pl.String(),
    "sku": pl.String(),
    "quantity": pl.Int64(),
    "listed_quantity": pl.Int64(),
    "available_to_promise": pl.Int64(),
    "safety_buffer_units": pl.Int64(),
    "push_reason": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "attempts": pl.Int64(),
    "last_error": pl.String(),
    "user_name": pl.String(),
    "user_role": pl.String(),
    "created_at": TIME,
    "updated_at": TIME,
}


@dataclass(frozen=True)
class StockPushItem:
    """Tell `channel` it has `quantity` (absolute) of `sku` at `location_id`."""

    channel: str
    sku: str
    location_id: str
    quantity: int
    listed_quantity: int | None = None
    available_to_promise: int | None = None
    safety_buffer_units: int | None = None


StockItems = pl.DataFrame | Sequence[StockPushItem | tuple[str, str, str, int]]


def _as_frame(items: StockItems) -> pl.DataFrame:
    if isinstance(items, pl.DataFrame):
        frame = items
        if "quantity" not in frame.columns:
            if "quantity_to_tell" not in frame.columns:
                raise InvalidRequestError(
                    "stock push rows need a quantity (or fct_channel_availability's "
                    f"quantity_to_tell); got columns {frame.columns}"
                )
            frame = frame.with_columns(pl.col("quantity_to_tell").alias("quantity"))
        missing = {"channel", "sku", "location_id"} - set(frame.columns)
        if missing:
            raise InvalidRequestError(f"stock push rows lack columns {sorted(missing)}")
        rows = [
            StockPushItem(
                channel=str(row["channel"]),
                sku=str(row["sku"]) if row["sku"] is not None else "",
                location_id=str(row["location_id"]),
                quantity=-1 if (q := int_or_none(row["quantity"])) is None else q,
                listed_quantity=int_or_none(row.get("listed_quantity")),
                available_to_promise=int_or_none(row.get("available_to_promise")),
                safety_buffer_units=int_or_none(row.get("safety_buffer_units")),
            )
            for row in frame.iter_rows(named=True)
        ]
    else:
        rows = [item if isinstance(item, StockPushItem) else StockPushItem(*item) for item in items]
    return pl.DataFrame(
        [
            (
                r.channel,
                r.location_id,
                r.sku,
                r.listed_quantity,
                r.quantity,
                r.available_to_promise,
                r.safety_buffer_units,
            )
            for r in rows
        ],
        schema={k: v for k, v in PREVIEW_SCHEMA.items() if k not in ("change", "differs")},
        orient="row",
    )


def _lookup_listed(frame: pl.DataFrame, availability: pl.DataFrame) -> pl.DataFrame:
    """Fill what the caller left unknown from fct_channel_availability rows."""
    wanted = ["listed_quantity", "available_to_promise", "safety_buffer_units"]
    present = [c for c in wanted if c in availability.columns]
    known = availability.select(
        pl.col("channel").cast(pl.String),
        pl.col("location_id").cast(pl.String),
        pl.col("sku").cast(pl.String),
        *[pl.col(c).cast(pl.Int64).alias(f"_{c}") for c in present],
    ).unique(["channel", "location_id", "sku"], keep="last")
    joined = frame.join(known, on=["channel", "location_id", "sku"], how="left")
    return joined.with_columns(pl.coalesce(c, f"_{c}").alias(c) for c in present).select(
        frame.columns
    )


def preview_stock_push(
    items: StockItems, *, availability: pl.DataFrame | None = None
) -> pl.DataFrame:
    """What each channel is told now against what the push would tell it (`PREVIEW_SCHEMA`).

    `items` are fct_channel_availability rows (their ``quantity_to_tell`` is pushed unless a
    ``quantity`` column says otherwise), `StockPushItem`s or ``(channel, sku, location_id,
    quantity)`` tuples; `availability` (the mart's rows) fills in what is told now where the
    items do not say. Raises `InvalidRequestError` for an unknown channel, a negative
    quantity, a missing SKU or the same listing twice.
    """
    return _checked(items, availability).sort("channel", "location_id", "sku")


def _checked(items: StockItems, availability: pl.DataFrame | None) -> pl.DataFrame:
    """The items as a preview in their given order, or `InvalidRequestError`."""
    frame = _as_frame(items)
    if availability is not None and not frame.is_empty():
        frame = _lookup_listed(frame, availability)
    problems: list[str] = []
    for row in frame.iter_rows(named=True):
        where = f"{row['channel']}/{row['location_id']}/{row['sku']}"
        if row["channel"] not in CHANNELS:
            problems.append(f"{where}: unknown channel (choose one of {', '.join(CHANNELS)})")
        if not row["sku"]:
            problems.append(f"{where}: no SKU")
        if row["quantity"] is None or row["quantity"] < 0:
            problems.append(f"{where}: quantity {row['quantity']} is not a count (0 or more)")
    duplicated = frame.filter(pl.struct("channel", "location_id", "sku").is_duplicated())
    if not duplicated.is_empty():
        first = duplicated.row(0, named=True)
        problems.append(
            f"{first['channel']}/{first['location_id']}/{first['sku']} appears more than once"
        )
    if problems:
        raise InvalidRequestError("cannot push this stock: " + "; ".join(problems[:10]))
    return frame.with_columns(
        (pl.col("quantity") - pl.col("listed_quantity")).alias("change"),
        (
            pl.col("listed_quantity").is_null() | (pl.col("listed_quantity") != pl.col("quantity"))
        ).alias("differs"),
    ).select(list(PREVIEW_SCHEMA))


def preview_by_channel(preview: pl.DataFrame) -> pl.DataFrame:
    """Per channel and location: listings in the push, how many change, units before/after."""
    return (
        preview.group_by("channel", "location_id")
        .agg(
            pl.len().alias("listings"),
            pl.col("differs").sum().cast(pl.Int64).alias("changing"),
            pl.col("listed_quantity").is_null().sum().cast(pl.Int64).alias("listed_unknown"),
            pl.col("listed_quantity").sum().alias("units_listed_now"),
            pl.col("quantity").sum().alias("units_after"),
        )
        .sort("channel", "location_id")
    )


def stock_pushes_that_differ(availability: pl.DataFrame) -> pl.DataFrame:
    """ "All that differ": the fct_channel_availability rows whose channel shows something other
    than what it should be told (or whose current listing is not known), as a preview.

    Rows without a SKU (Shopify items whose product has not landed) are left out: nothing can
    be pushed for them.
    """
    usable = availability.filter(pl.col("sku").is_not_null())
    return preview_stock_push(usable).filter(pl.col("differs"))


def record_stock_push(
    store: OpsStore,
    items: StockItems,
    *,
    user: str,
    role: Role | str,
    reason: str = "manual",
    availability: pl.DataFrame | None = None,
) -> list[str]:
    """Record a push of absolute quantities in the outbox; returns one action id per listing.

    Nothing is sent here: `ichigen.ops.dispatch.dispatch` sends what is recorded. `items` as
    for `preview_stock_push` (a preview frame is fine); `reason` says why (``manual``,
    ``stock_sync`` ...). Ids come in the order of `items`. Refused unless the role may push
    stock.
    """
    parsed = require(user, role, Permission.PUSH_STOCK)
    preview = _checked(items, availability)
    if preview.is_empty():
        return []
    batch_id = new_id("batch")
    ids = [new_id("push") for _ in range(preview.height)]
    with store.write() as con:
        at = store.now()
        for action_id, row in zip(ids, preview.iter_rows(named=True), strict=True):
            insert_action(
                con,
                action_id=action_id,
                kind="stock_push",
                user=user,
                role=parsed,
                batch_id=batch_id,
                at=at,
            )
            con.execute(
                "insert into stock_pushes (action_id, channel, sku, location_id, quantity, "
                "listed_quantity, available_to_promise, safety_buffer_units, reason) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    action_id,
                    row["channel"],
                    row["sku"],
                    row["location_id"],
                    row["quantity"],
                    row["listed_quantity"],
                    row["available_to_promise"],
                    row["safety_buffer_units"],
                    reason,
                ),
            )
    return ids


def list_stock_pushes(
    store: OpsStore,
    *,
    status: str | None = None,
    batch_id: str | None = None,
    limit: int = 1000,
) -> pl.DataFrame:
    """Stock pushes with their outbox status, newest first (`STOCK_PUSH_SCHEMA`)."""
    where, params = where_equal(status=status, batch_id=batch_id, prefix="a.")
    columns = [
        "a.action_id",
        "a.batch_id",
        "p.channel",
        "p.location_id",
        "p.sku",
        "p.quantity",
        "p.listed_quantity",
        "p.available_to_promise",
        "p.safety_buffer_units",
        "p.reason as push_reason",
        "a.status",
        "a.reason",
        "a.attempts",
        "a.last_error",
        "a.user_name",
        "a.user_role",
        "a.created_at",
        "a.updated_at",
    ]
    return store.frame(
        f"select {', '.join(columns)} from stock_pushes p join actions a using (action_id)"
        f"{where} order by a.created_at desc, p.channel, p.location_id, p.sku limit ?",
        [*params, limit],
        schema=STOCK_PUSH_SCHEMA,
    )


def last_accepted_pushes(store: OpsStore) -> pl.DataFrame:
    """Per listing, the quantity ichigen last told the channel and when it was accepted.

    What a channel shows when the marts cannot say (a Shopify level whose product has not
    landed): the stock sync compares against it so it does not push the same number again.
    """
    return store.frame(
        "select channel, location_id, sku, quantity, updated_at from ("
        "  select p.channel, p.location_id, p.sku, p.quantity, a.updated_at, row_number() over ("
        "    partition by p.channel, p.location_id, p.sku order by a.updated_at desc) as n "
        "  from stock_pushes p join actions a using (action_id) where a.status = 'accepted'"
        ") where n = 1 order by channel, location_id, sku",
        schema={
            "channel": pl.String(),
            "location_id": pl.String(),
            "sku": pl.String(),
            "quantity": pl.Int64(),
            "updated_at": TIME,
        },
    )

"""What the pages (and the scheduled jobs) call to act: stock pushes and purchase orders.

Every function that changes something takes the acting ``user`` and ``role``, checks the role
first (`ichigen.ops.roles.require`: a refusal raises `ActionRefusedError` and records nothing)
and records who did it. Nothing here talks to a channel: actions are recorded in the outbox
(the ``actions`` table) and `ichigen.ops.dispatch.dispatch` sends them. That is DESIGN.md
decision 6: recorded before sent, result recorded after, a crash in between resumed.

Reads return polars frames with fixed schemas (the same columns and types when empty), so a
page can show "no data yet" without special cases.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
import polars as pl

from ichigen.ops.errors import InvalidRequestError, InvalidTransitionError, NotFoundError
from ichigen.ops.roles import Permission, Role, require
from ichigen.ops.store import OpsStore

__all__ = [
    "ACTION_SCHEMA",
    "ACTION_STATUSES",
    "CHANNELS",
    "HISTORY_SCHEMA",
    "OPEN_PURCHASE_ORDER_STATUSES",
    "PREVIEW_SCHEMA",
    "PURCHASE_ORDER_LINE_SCHEMA",
    "PURCHASE_ORDER_SCHEMA",
    "PURCHASE_ORDER_STATUSES",
    "STOCK_PUSH_SCHEMA",
    "DraftProposal",
    "PurchaseOrderLineInput",
    "StockPushItem",
    "action_history",
    "approve_purchase_order",
    "cancel_purchase_order",
    "create_purchase_order_draft",
    "last_accepted_pushes",
    "list_actions",
    "list_purchase_orders",
    "list_stock_pushes",
    "preview_by_channel",
    "preview_stock_push",
    "propose_purchase_orders",
    "purchase_order_csv",
    "purchase_order_history",
    "purchase_order_lines",
    "record_stock_push",
    "send_purchase_order",
    "stock_pushes_that_differ",
    "update_purchase_order_lines",
]

CHANNELS: Final = ("shopify", "amazon", "rakuten")
ACTION_STATUSES: Final = (
    "recorded",  # in the outbox, not yet sent
    "sending",  # claimed by a dispatcher; it may or may not have reached the far end
    "accepted",
    "rejected",  # the far end refused it (reason says why), or it was superseded
    "failed_retrying",  # a transient failure; sent again from next_attempt_at
    "failed",  # transient failures past every retry; dispatch_actions(retry_failed=True) resends
)
PURCHASE_ORDER_STATUSES: Final = (
    "draft",
    "approved",
    "sending",
    "sent",
    "confirmed",
    "shipped",
    "received",
    "rejected",
    "cancelled",
)
# Sent to the supplier and not yet received: followed by `follow_purchase_orders`.
OPEN_PURCHASE_ORDER_STATUSES: Final = ("sent", "confirmed", "shipped")

_TIME = pl.Datetime("us", "UTC")

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

ACTION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "action_id": pl.String(),
    "kind": pl.String(),
    "idempotency_key": pl.String(),
    "user_name": pl.String(),
    "user_role": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "attempts": pl.Int64(),
    "last_error": pl.String(),
    "result": pl.String(),  # JSON of what the far end answered
    "batch_id": pl.String(),
    "created_at": _TIME,
    "updated_at": _TIME,
    "next_attempt_at": _TIME,
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
    "created_at": _TIME,
    "updated_at": _TIME,
}

PURCHASE_ORDER_SCHEMA: Final[dict[str, pl.DataType]] = {
    "po_id": pl.String(),
    "supplier_id": pl.String(),
    "ship_to_location_id": pl.String(),
    "reference": pl.String(),
    "status": pl.String(),
    "lines": pl.Int64(),
    "units": pl.Int64(),
    "value_jpy": pl.Float64(),
    "created_by": pl.String(),
    "created_role": pl.String(),
    "created_at": _TIME,
    "updated_at": _TIME,
    "approved_by": pl.String(),
    "approved_at": _TIME,
    "send_action_id": pl.String(),
    "send_status": pl.String(),  # the outbox status of the send (null until sent)
    "send_reason": pl.String(),
    "supplier_po_id": pl.String(),
    "supplier_status": pl.String(),
    "note": pl.String(),
}

PURCHASE_ORDER_LINE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "po_id": pl.String(),
    "line_no": pl.Int64(),
    "sku": pl.String(),
    "quantity": pl.Int64(),
    "suggested_quantity": pl.Int64(),
    "raw_quantity": pl.Float64(),
    "reorder_key": pl.String(),
    "moq": pl.Int64(),
    "case_pack": pl.Int64(),
    "unit_cost_jpy": pl.Float64(),
    "suggestion": pl.String(),  # JSON of every number of the suggestion the line came from
}

HISTORY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),  # the action or purchase order
    "seq": pl.Int64(),
    "status": pl.String(),
    "at": _TIME,
    "user_name": pl.String(),
    "user_role": pl.String(),
    "detail": pl.String(),
}

# fct_reorder_signals columns kept with a purchase-order line, so it explains itself later.
_SUGGESTION_COLUMNS: Final = (
    "reorder_key",
    "warehouse_id",
    "demand_basis",
    "demand_daily_mean",
    "demand_daily_sd",
    "lead_time_days",
    "lead_time_days_sd",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "on_hand",
    "reserved",
    "backordered",
    "in_transit",
    "on_order",
    "inventory_position",
    "raw_quantity",
    "moq",
    "case_pack",
    "suggested_quantity",
    "rounding_added",
    "urgency_rank",
)


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


@dataclass(frozen=True)
class PurchaseOrderLineInput:
    """One line of a purchase order, with the suggestion it came from (if any)."""

    sku: str
    quantity: int
    suggested_quantity: int | None = None
    raw_quantity: float | None = None
    reorder_key: str | None = None
    moq: int | None = None
    case_pack: int | None = None
    unit_cost_jpy: float | None = None
    suggestion: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DraftProposal:
    """The lines of one purchase order to propose: one supplier, one warehouse to ship to."""

    supplier_id: str
    ship_to_location_id: str
    lines: tuple[PurchaseOrderLineInput, ...]


# --- stock pushes ------------------------------------------------------------------------------

StockItems = pl.DataFrame | Sequence[StockPushItem | tuple[str, str, str, int]]


def _int_or_none(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


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
                quantity=-1 if (q := _int_or_none(row["quantity"])) is None else q,
                listed_quantity=_int_or_none(row.get("listed_quantity")),
                available_to_promise=_int_or_none(row.get("available_to_promise")),
                safety_buffer_units=_int_or_none(row.get("safety_buffer_units")),
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

    Rows without a SKU (Shopify items the warehouse cannot name yet) are left out: nothing can
    be pushed for them.
    """
    usable = availability.filter(pl.col("sku").is_not_null())
    return preview_stock_push(usable).filter(pl.col("differs"))


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def _insert_action(
    con: Any,
    *,
    action_id: str,
    kind: str,
    user: str,
    role: Role,
    batch_id: str,
    at: str,
    detail: str | None = None,
) -> None:
    con.execute(
        "insert into actions (action_id, kind, idempotency_key, user_name, user_role, status, "
        "batch_id, created_at, updated_at) values (?, ?, ?, ?, ?, 'recorded', ?, ?, ?)",
        # The action id is the idempotency key: new per action, the same on every attempt.
        (action_id, kind, action_id, user, role.value, batch_id, at, at),
    )
    con.execute(
        "insert into action_status_history (action_id, seq, status, at, detail) "
        "values (?, 1, 'recorded', ?, ?)",
        (action_id, at, detail or f"by {user} ({role.value})"),
    )


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
    batch_id = _new_id("batch")
    ids = [_new_id("push") for _ in range(preview.height)]
    with store.write() as con:
        at = store.now()
        for action_id, row in zip(ids, preview.iter_rows(named=True), strict=True):
            _insert_action(
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


# --- purchase orders ---------------------------------------------------------------------------

LineItems = pl.DataFrame | Sequence[PurchaseOrderLineInput]


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _lines_from_frame(frame: pl.DataFrame) -> list[PurchaseOrderLineInput]:
    if "sku" not in frame.columns:
        raise InvalidRequestError("purchase order lines need a sku column")
    quantity = "quantity" if "quantity" in frame.columns else "suggested_quantity"
    if quantity not in frame.columns:
        raise InvalidRequestError("purchase order lines need quantity or suggested_quantity")
    lines = []
    for row in frame.iter_rows(named=True):
        suggestion = {c: _json_safe(row[c]) for c in _SUGGESTION_COLUMNS if c in row}
        lines.append(
            PurchaseOrderLineInput(
                sku=str(row["sku"]),
                quantity=_int_or_none(row[quantity]) or 0,
                suggested_quantity=_int_or_none(row.get("suggested_quantity")),
                raw_quantity=row.get("raw_quantity"),
                reorder_key=row.get("reorder_key"),
                moq=_int_or_none(row.get("moq")),
                case_pack=_int_or_none(row.get("case_pack")),
                unit_cost_jpy=row.get("unit_cost_jpy"),
                suggestion=suggestion,
            )
        )
    return lines


def propose_purchase_orders(signals: pl.DataFrame) -> list[DraftProposal]:
    """One proposal per supplier and warehouse from fct_reorder_signals rows that need reorder.

    Pass the rows the buyer ticked (a ``quantity`` column overrides ``suggested_quantity``).
    """
    if signals.is_empty():
        return []
    if "needs_reorder" in signals.columns:
        signals = signals.filter(pl.col("needs_reorder"))
    proposals = []
    for (supplier_id, warehouse_id), group in signals.sort("sku").group_by(
        "supplier_id", "warehouse_id", maintain_order=True
    ):
        lines = tuple(line for line in _lines_from_frame(group) if line.quantity > 0)
        if lines:
            proposals.append(DraftProposal(str(supplier_id), str(warehouse_id), lines))
    return sorted(proposals, key=lambda p: (p.supplier_id, p.ship_to_location_id))


def _check_lines(lines: Sequence[PurchaseOrderLineInput]) -> None:
    if not lines:
        raise InvalidRequestError("a purchase order needs at least one line")
    seen: set[str] = set()
    for line in lines:
        if not line.sku:
            raise InvalidRequestError("a purchase order line has no SKU")
        if line.quantity <= 0:
            raise InvalidRequestError(f"{line.sku}: quantity {line.quantity} must be above 0")
        if line.sku in seen:
            raise InvalidRequestError(f"{line.sku} appears on two lines; put it on one")
        seen.add(line.sku)


def _po_history(
    con: Any, po_id: str, status: str, at: str, user: str, role: Role, detail: str | None
) -> None:
    seq = con.execute(
        "select coalesce(max(seq), 0) + 1 from purchase_order_status_history where po_id = ?",
        (po_id,),
    ).fetchone()[0]
    con.execute(
        "insert into purchase_order_status_history "
        "(po_id, seq, status, at, user_name, user_role, detail) values (?, ?, ?, ?, ?, ?, ?)",
        (po_id, seq, status, at, user, role.value, detail),
    )


def create_purchase_order_draft(
    store: OpsStore,
    *,
    user: str,
    role: Role | str,
    supplier_id: str,
    ship_to_location_id: str,
    lines: LineItems,
    note: str | None = None,
) -> str:
    """Record a draft purchase order and return its id (also its reference at the supplier).

    `lines` are fct_reorder_signals rows (every number of the suggestion is kept with the line)
    or `PurchaseOrderLineInput`s. A frame with a ``supplier_id`` column must name this
    supplier only.
    """
    parsed = require(user, role, Permission.EDIT_PURCHASE_ORDERS)
    if not supplier_id or not ship_to_location_id:
        raise InvalidRequestError("a purchase order needs a supplier and a ship-to location")
    if isinstance(lines, pl.DataFrame):
        if "supplier_id" in lines.columns:
            others = set(lines["supplier_id"].drop_nulls().unique()) - {supplier_id}
            if others:
                raise InvalidRequestError(
                    f"lines of suppliers {sorted(others)} cannot go on {supplier_id}'s order"
                )
        lines = _lines_from_frame(lines)
    _check_lines(lines)
    po_id = f"PO-{store.clock().strftime('%Y%m%d')}-{uuid.uuid4().hex[:10].upper()}"
    with store.write() as con:
        at = store.now()
        con.execute(
            "insert into purchase_orders (po_id, supplier_id, ship_to_location_id, reference, "
            "status, created_by, created_role, created_at, updated_at, note) "
            "values (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?)",
            (po_id, supplier_id, ship_to_location_id, po_id, user, parsed.value, at, at, note),
        )
        for line_no, line in enumerate(lines, start=1):
            con.execute(
                "insert into purchase_order_lines (po_id, line_no, sku, quantity, "
                "suggested_quantity, raw_quantity, reorder_key, moq, case_pack, unit_cost_jpy, "
                "suggestion) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    po_id,
                    line_no,
                    line.sku,
                    line.quantity,
                    line.suggested_quantity,
                    line.raw_quantity,
                    line.reorder_key,
                    line.moq,
                    line.case_pack,
                    line.unit_cost_jpy,
                    orjson.dumps(dict(line.suggestion)).decode() if line.suggestion else None,
                ),
            )
        _po_history(con, po_id, "draft", at, user, parsed, note)
    return po_id


def _po_status(con: Any, po_id: str) -> str:
    row = con.execute("select status from purchase_orders where po_id = ?", (po_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no purchase order {po_id!r} in the ops store")
    return str(row[0])


def _expect(po_id: str, status: str, allowed: Sequence[str], step: str) -> None:
    if status not in allowed:
        raise InvalidTransitionError(
            f"{po_id} is {status}: only a {' or '.join(allowed)} purchase order can be {step}"
        )


def update_purchase_order_lines(
    store: OpsStore,
    po_id: str,
    quantities: Mapping[str, int],
    *,
    user: str,
    role: Role | str,
) -> None:
    """Set line quantities of a draft by SKU; 0 removes the line, an unknown SKU adds one."""
    parsed = require(user, role, Permission.EDIT_PURCHASE_ORDERS)
    for sku, quantity in quantities.items():
        if quantity < 0:
            raise InvalidRequestError(f"{sku}: quantity {quantity} cannot be negative")
    with store.write() as con:
        _expect(po_id, _po_status(con, po_id), ("draft",), "edited")
        at = store.now()
        changes = []
        for sku, quantity in quantities.items():
            old = con.execute(
                "select quantity from purchase_order_lines where po_id = ? and sku = ?",
                (po_id, sku),
            ).fetchone()
            if old is None and quantity > 0:
                line_no = con.execute(
                    "select coalesce(max(line_no), 0) + 1 from purchase_order_lines "
                    "where po_id = ?",
                    (po_id,),
                ).fetchone()[0]
                con.execute(
                    "insert into purchase_order_lines (po_id, line_no, sku, quantity) "
                    "values (?, ?, ?, ?)",
                    (po_id, line_no, sku, quantity),
                )
                changes.append(f"{sku}: added {quantity}")
            elif old is not None and quantity == 0:
                con.execute(
                    "delete from purchase_order_lines where po_id = ? and sku = ?", (po_id, sku)
                )
                changes.append(f"{sku}: removed (was {old[0]})")
            elif old is not None and old[0] != quantity:
                con.execute(
                    "update purchase_order_lines set quantity = ? where po_id = ? and sku = ?",
                    (quantity, po_id, sku),
                )
                changes.append(f"{sku}: {old[0]} -> {quantity}")
        if changes:
            con.execute("update purchase_orders set updated_at = ? where po_id = ?", (at, po_id))
            _po_history(con, po_id, "draft", at, user, parsed, "; ".join(changes))


def _transition(
    store: OpsStore,
    po_id: str,
    *,
    user: str,
    role: Role,
    allowed: Sequence[str],
    to: str,
    step: str,
    detail: str | None = None,
) -> None:
    with store.write() as con:
        _expect(po_id, _po_status(con, po_id), allowed, step)
        at = store.now()
        extra = ", approved_by = ?, approved_at = ?" if to == "approved" else ""
        params: tuple[Any, ...] = (to, at, user, at, po_id) if extra else (to, at, po_id)
        con.execute(
            f"update purchase_orders set status = ?, updated_at = ?{extra} where po_id = ?", params
        )
        _po_history(con, po_id, to, at, user, role, detail)


def approve_purchase_order(store: OpsStore, po_id: str, *, user: str, role: Role | str) -> None:
    """Approve a draft (it must have at least one line); an approved order can be sent."""
    parsed = require(user, role, Permission.APPROVE_PURCHASE_ORDERS)
    with store.read() as con:
        count = con.execute(
            "select count(*) from purchase_order_lines where po_id = ?", (po_id,)
        ).fetchone()[0]
    if count == 0:
        _po_status_or_raise(store, po_id)
        raise InvalidTransitionError(f"{po_id} has no lines: add one before approving it")
    _transition(
        store, po_id, user=user, role=parsed, allowed=("draft",), to="approved", step="approved"
    )


def _po_status_or_raise(store: OpsStore, po_id: str) -> str:
    with store.read() as con:
        return _po_status(con, po_id)


def cancel_purchase_order(
    store: OpsStore, po_id: str, *, user: str, role: Role | str, reason: str | None = None
) -> None:
    """Cancel a draft or approved order (one already sent is the supplier's to cancel)."""
    parsed = require(user, role, Permission.EDIT_PURCHASE_ORDERS)
    _transition(
        store,
        po_id,
        user=user,
        role=parsed,
        allowed=("draft", "approved"),
        to="cancelled",
        step="cancelled",
        detail=reason,
    )


def send_purchase_order(store: OpsStore, po_id: str, *, user: str, role: Role | str) -> str:
    """Record the sending of an approved order in the outbox; returns the action id.

    The order moves to ``sending``; the dispatcher places it at the supplier under the
    action's idempotency key and moves it to ``sent`` (or ``rejected`` with the supplier's
    reasons). Call `ichigen.ops.dispatch.dispatch` (with ``action_ids=[id]``) to send now.
    """
    parsed = require(user, role, Permission.SEND_PURCHASE_ORDERS)
    action_id = _new_id("po")
    with store.write() as con:
        _expect(po_id, _po_status(con, po_id), ("approved",), "sent")
        at = store.now()
        _insert_action(
            con,
            action_id=action_id,
            kind="purchase_order",
            user=user,
            role=parsed,
            batch_id=po_id,
            at=at,
            detail=f"send {po_id} by {user} ({parsed.value})",
        )
        con.execute(
            "update purchase_orders set status = 'sending', send_action_id = ?, updated_at = ? "
            "where po_id = ?",
            (action_id, at, po_id),
        )
        _po_history(con, po_id, "sending", at, user, parsed, f"outbox action {action_id}")
    return action_id


# --- reads -------------------------------------------------------------------------------------


def list_actions(
    store: OpsStore,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 1000,
) -> pl.DataFrame:
    """The outbox, newest first (`ACTION_SCHEMA`)."""
    where, params = _filters(kind=kind, status=status)
    return store.frame(
        f"select {', '.join(ACTION_SCHEMA)} from actions{where} "
        "order by created_at desc, action_id limit ?",
        [*params, limit],
        schema=ACTION_SCHEMA,
    )


def list_stock_pushes(
    store: OpsStore,
    *,
    status: str | None = None,
    batch_id: str | None = None,
    limit: int = 1000,
) -> pl.DataFrame:
    """Stock pushes with their outbox status, newest first (`STOCK_PUSH_SCHEMA`)."""
    where, params = _filters(status=status, batch_id=batch_id, prefix="a.")
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

    What a channel shows when the warehouse cannot read it (Shopify levels have no SKU in the
    marts yet): the stock sync compares against it so it does not push the same number again.
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
            "updated_at": _TIME,
        },
    )


def action_history(store: OpsStore, action_id: str | None = None) -> pl.DataFrame:
    """Every status an action went through, in order (`HISTORY_SCHEMA`)."""
    where, params = (" where h.action_id = ?", [action_id]) if action_id else ("", [])
    return store.frame(
        "select h.action_id, h.seq, h.status, h.at, a.user_name, a.user_role, h.detail "
        f"from action_status_history h join actions a using (action_id){where} "
        "order by h.at, h.action_id, h.seq",
        params,
        schema=HISTORY_SCHEMA,
    )


def list_purchase_orders(
    store: OpsStore, *, status: str | Sequence[str] | None = None
) -> pl.DataFrame:
    """Purchase orders with totals and the outbox status of their send (`PURCHASE_ORDER_SCHEMA`),
    newest first."""
    statuses = [status] if isinstance(status, str) else list(status or [])
    where = f" where o.status in ({', '.join('?' * len(statuses))})" if statuses else ""
    return store.frame(
        "select o.po_id, o.supplier_id, o.ship_to_location_id, o.reference, o.status, "
        "coalesce(l.lines, 0), coalesce(l.units, 0), l.value_jpy, o.created_by, o.created_role, "
        "o.created_at, o.updated_at, o.approved_by, o.approved_at, o.send_action_id, "
        "a.status, a.reason, o.supplier_po_id, o.supplier_status, o.note "
        "from purchase_orders o "
        "left join (select po_id, count(*) as lines, sum(quantity) as units, "
        "  sum(quantity * unit_cost_jpy) as value_jpy from purchase_order_lines group by po_id) l "
        "  using (po_id) "
        f"left join actions a on a.action_id = o.send_action_id{where} "
        "order by o.created_at desc, o.po_id",
        statuses,
        schema=PURCHASE_ORDER_SCHEMA,
    )


def purchase_order_lines(store: OpsStore, po_id: str) -> pl.DataFrame:
    """The lines of one order, with the suggestion numbers each came from."""
    _po_status_or_raise(store, po_id)
    return store.frame(
        f"select {', '.join(PURCHASE_ORDER_LINE_SCHEMA)} from purchase_order_lines "
        "where po_id = ? order by line_no",
        [po_id],
        schema=PURCHASE_ORDER_LINE_SCHEMA,
    )


def purchase_order_history(store: OpsStore, po_id: str | None = None) -> pl.DataFrame:
    """Every status of an order (or of all orders), who moved it there and why."""
    where, params = (" where po_id = ?", [po_id]) if po_id else ("", [])
    return store.frame(
        "select po_id, seq, status, at, user_name, user_role, detail "
        f"from purchase_order_status_history{where} order by at, po_id, seq",
        params,
        schema=HISTORY_SCHEMA,
    )


def purchase_order_csv(store: OpsStore, po_id: str) -> bytes:
    """The order as a CSV a supplier (or a spreadsheet) can read: one row per line, UTF-8 with
    a BOM so Excel opens Japanese text correctly."""
    orders = list_purchase_orders(store).filter(pl.col("po_id") == po_id)
    if orders.is_empty():
        raise NotFoundError(f"no purchase order {po_id!r} in the ops store")
    order = orders.row(0, named=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "reference",
            "supplier_id",
            "ship_to_location_id",
            "status",
            "line_no",
            "sku",
            "quantity",
            "unit_cost_jpy",
            "line_value_jpy",
        ]
    )
    for line in purchase_order_lines(store, po_id).iter_rows(named=True):
        cost = line["unit_cost_jpy"]
        writer.writerow(
            [
                order["reference"],
                order["supplier_id"],
                order["ship_to_location_id"],
                order["status"],
                line["line_no"],
                line["sku"],
                line["quantity"],
                "" if cost is None else f"{cost:g}",
                "" if cost is None else f"{cost * line['quantity']:g}",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _filters(prefix: str = "", **values: str | None) -> tuple[str, list[Any]]:
    clauses = [(f"{prefix}{name} = ?", value) for name, value in values.items() if value]
    if not clauses:
        return "", []
    return " where " + " and ".join(c for c, _ in clauses), [v for _, v in clauses]

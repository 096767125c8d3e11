"""Purchase orders: proposed from reorder suggestions, drafted, edited, approved, then sent.

Every step that changes an order takes the acting ``user`` and ``role``, checks the role first
(`ichigen.ops.roles.require`: a refusal raises `ActionRefusedError` and records nothing) and
appends who did it to the order's history. Sending records an outbox action (recorded before
sent, DESIGN.md decision 7) that `ichigen.ops.dispatch.dispatch` places at the supplier; what
the supplier says afterwards is read by `ichigen.ops.follow`.

    draft -> approved -> sending -> sent -> confirmed -> shipped -> received
    draft or approved -> cancelled;  sending -> rejected (the supplier refused it)
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
import polars as pl

from ichigen.ops._shared import (
    TIME,
    append_purchase_order_status,
    insert_action,
    int_or_none,
    new_id,
)
from ichigen.ops.errors import InvalidRequestError, InvalidTransitionError, NotFoundError
from ichigen.ops.outbox import HISTORY_SCHEMA
from ichigen.ops.roles import Permission, Role, require
from ichigen.ops.store import OpsStore

__all__ = [
    "OPEN_PURCHASE_ORDER_STATUSES",
    "PURCHASE_ORDER_LINE_SCHEMA",
    "PURCHASE_ORDER_SCHEMA",
    "PURCHASE_ORDER_STATUSES",
    "DraftProposal",
    "LineItems",
    "PurchaseOrderLineInput",
    "approve_purchase_order",
    "cancel_purchase_order",
    "create_purchase_order_draft",
    "list_purchase_orders",
    "propose_purchase_orders",
    "purchase_order_history",
    "purchase_order_lines",
    "send_purchase_order",
    "update_purchase_order_lines",
]

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
    "created_at": TIME,
    "updated_at": TIME,
    "approved_by": pl.String(),
    "approved_at": TIME,
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
                quantity=int_or_none(row[quantity]) or 0,
                suggested_quantity=int_or_none(row.get("suggested_quantity")),
                raw_quantity=row.get("raw_quantity"),
                reorder_key=row.get("reorder_key"),
                moq=int_or_none(row.get("moq")),
                case_pack=int_or_none(row.get("case_pack")),
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
        append_purchase_order_status(con, po_id, "draft", at, user, parsed, note)
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
            append_purchase_order_status(con, po_id, "draft", at, user, parsed, "; ".join(changes))


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
        append_purchase_order_status(con, po_id, to, at, user, role, detail)


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
    action_id = new_id("po")
    with store.write() as con:
        _expect(po_id, _po_status(con, po_id), ("approved",), "sent")
        at = store.now()
        insert_action(
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
        append_purchase_order_status(
            con, po_id, "sending", at, user, parsed, f"outbox action {action_id}"
        )
    return action_id


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

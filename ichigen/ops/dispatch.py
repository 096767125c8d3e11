"""The dispatcher: sends what the outbox recorded, then records what became of it.

One pass of `dispatch`:

1. claim (one write transaction): every action that is ``recorded``, ``failed_retrying`` and
   due, or ``sending`` for longer than `stale_after` (a dispatcher that died mid-send), moves to
   ``sending`` with its attempt counted. A push for a listing that a newer push will set anyway
   is ``rejected`` as superseded instead, so an old quantity never overwrites a newer one;
2. send through the connectors: Rakuten pushes in bulk-upserts, Shopify and Amazon one listing
   at a time, purchase orders with ``Idempotency-Key`` = the action's key;
3. record each channel's outcomes as soon as it answered: ``accepted`` with the answer,
   ``rejected`` with the far end's reason, or ``failed_retrying`` with the next attempt time
   (exponential backoff; ``failed`` after `max_attempts`).

A crash between 2 and 3 leaves the action ``sending``; the next pass after `stale_after` sends
it again. That is harmless by construction: stock pushes set absolute quantities, and the
supplier answers a repeated key with the order it already placed (``replayed=True``), which is
recorded. The connectors' own retries (`ingestion.http.ResilientClient`) cover a request's
transient failures; the backoff here covers a channel that stays down across passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, Literal

import httpx
import orjson

from ichigen.ingestion.amazon import AmazonClient
from ichigen.ingestion.errors import (
    AuthenticationError,
    ChannelError,
    ConfigurationError,
    RetriesExhaustedError,
    UnexpectedResponseError,
)
from ichigen.ingestion.rakuten import MAX_QUANTITY, RakutenClient, RakutenRates, StockLevel
from ichigen.ingestion.shopify import ShopifyClient
from ichigen.ingestion.supplier import OrderLine, SupplierClient
from ichigen.ops.roles import Role
from ichigen.ops.store import OpsStore
from ichigen.ops.targets import ChannelTargets, UnknownTargetError
from ichigen.settings import Settings

__all__ = [
    "FOLLOW_USER",
    "STALE_AFTER",
    "Connectors",
    "DispatchReport",
    "FollowReport",
    "dispatch",
    "dispatch_with_settings",
    "due_actions",
    "follow_purchase_orders",
    "follow_with_settings",
]

STALE_AFTER: Final = timedelta(minutes=10)
BACKOFF: Final = timedelta(seconds=30)
MAX_BACKOFF: Final = timedelta(hours=1)
FOLLOW_USER: Final = "system:po-follow"

# The supplier's statuses, in the order an order moves through them, as ichigen names them.
_SUPPLIER_STATUS: Final = {
    "submitted": "sent",
    "confirmed": "confirmed",
    "shipped": "shipped",
    "received": "received",
}
_PROGRESS: Final = ("sent", "confirmed", "shipped", "received")


@dataclass
class Connectors:
    """The clients actions are sent through; a channel left None keeps its actions waiting.

    Use `Connectors.from_settings(settings)` as a context manager (it closes the clients).
    """

    shopify: ShopifyClient | None = None
    amazon: AmazonClient | None = None
    rakuten: RakutenClient | None = None
    supplier: SupplierClient | None = None
    targets: ChannelTargets = field(default_factory=ChannelTargets)

    @classmethod
    def from_settings(cls, settings: Settings) -> Connectors:
        """Every connector, configured as ingestion's are, and the targets under the data dir."""
        published = RakutenRates()
        return cls(
            shopify=ShopifyClient(settings.shopify),
            amazon=AmazonClient(settings.amazon),
            rakuten=RakutenClient.from_settings(
                settings.rakuten,
                rates=RakutenRates(
                    inventory_upsert=published.inventory_upsert * settings.rate_multiplier
                ),
            ),
            supplier=SupplierClient.from_settings(settings.supplier),
            targets=ChannelTargets.load(settings.data_dir),
        )

    def close(self) -> None:
        for client in (self.shopify, self.amazon, self.rakuten, self.supplier):
            if client is not None:
                client.close()

    def __enter__(self) -> Connectors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class DispatchReport:
    """Action ids by what became of them in this pass."""

    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # past every retry
    waiting: list[str] = field(default_factory=list)  # no connector for their channel
    replayed: list[str] = field(default_factory=list)  # the supplier had placed it already

    @property
    def sent(self) -> int:
        return len(self.accepted) + len(self.rejected) + len(self.retrying) + len(self.failed)


@dataclass
class FollowReport:
    checked: int = 0
    changed: dict[str, str] = field(default_factory=dict)  # po_id -> new status
    errors: dict[str, str] = field(default_factory=dict)  # po_id -> why it was not read


@dataclass(frozen=True)
class _Claimed:
    action_id: str
    kind: str
    key: str
    attempts: int
    claimed_at: str
    channel: str  # the supplier for purchase orders
    sku: str = ""
    location_id: str = ""
    quantity: int = 0
    po_id: str = ""
    resumed: bool = False


@dataclass(frozen=True)
class _Outcome:
    action: _Claimed
    status: Literal["accepted", "rejected", "retry"]
    result: dict[str, Any] | None = None
    error: str | None = None
    replayed: bool = False


# --- claiming ----------------------------------------------------------------------------------


def _history(con: Any, action_id: str, status: str, at: str, detail: str | None) -> None:
    seq = con.execute(
        "select coalesce(max(seq), 0) + 1 from action_status_history where action_id = ?",
        (action_id,),
    ).fetchone()[0]
    con.execute(
        "insert into action_status_history (action_id, seq, status, at, detail) "
        "values (?, ?, ?, ?, ?)",
        (action_id, seq, status, at, detail),
    )


# Actions a pass sends: new ones, retries that are due, and sends whose dispatcher died.
_DUE: Final = (
    "(a.status = 'recorded' "
    " or (a.status = 'failed_retrying' and a.next_attempt_at <= ?) "
    " or (a.status = 'sending' and a.claimed_at <= ?) "
    " or a.status = ?)"
)


def due_actions(store: OpsStore, *, stale_after: timedelta = STALE_AFTER) -> list[str]:
    """Ids of the actions a `dispatch` pass would send now (for sensors and the pages)."""
    stale = (store.clock() - stale_after).isoformat(timespec="microseconds")
    with store.read() as con:
        rows = con.execute(
            f"select a.action_id from actions a where {_DUE} order by a.created_at, a.action_id",
            (store.now(), stale, "-"),
        ).fetchall()
    return [str(row[0]) for row in rows]


def _connected(connectors: Connectors, kind: str, channel: str) -> bool:
    if kind == "purchase_order":
        return connectors.supplier is not None
    return getattr(connectors, channel, None) is not None


def _claim(
    store: OpsStore,
    connectors: Connectors,
    *,
    action_ids: Sequence[str] | None,
    stale_after: timedelta,
    retry_failed: bool,
    report: DispatchReport,
) -> list[_Claimed]:
    with store.write() as con:
        now = store.now()
        stale = (store.clock() - stale_after).isoformat(timespec="microseconds")
        sql = (
            "select a.action_id, a.kind, a.idempotency_key, a.attempts, a.status, a.created_at, "
            "coalesce(p.channel, o.supplier_id) as channel, p.sku, p.location_id, p.quantity, "
            "o.po_id from actions a "
            "left join stock_pushes p using (action_id) "
            "left join purchase_orders o on o.send_action_id = a.action_id "
            f"where {_DUE}"
        )
        params: list[Any] = [now, stale, "failed" if retry_failed else "-"]
        if action_ids is not None:
            sql += f" and a.action_id in ({', '.join('?' * len(action_ids))})"
            params += list(action_ids)
        rows = con.execute(sql + " order by a.created_at, a.action_id", params).fetchall()
        claimed: list[_Claimed] = []
        for row in rows:
            if row["kind"] == "stock_push":
                newer = con.execute(
                    "select a.action_id from stock_pushes p join actions a using (action_id) "
                    "where p.channel = ? and p.sku = ? and p.location_id = ? "
                    "and (a.created_at, a.action_id) > (?, ?) "
                    "and a.status not in ('rejected', 'failed') "
                    "order by a.created_at desc limit 1",
                    (row["channel"], row["sku"], row["location_id"], row["created_at"], row[0]),
                ).fetchone()
                if newer is not None:
                    reason = f"superseded by {newer[0]}, a newer push to the same listing"
                    con.execute(
                        "update actions set status = 'rejected', reason = ?, updated_at = ?, "
                        "next_attempt_at = null where action_id = ?",
                        (reason, now, row["action_id"]),
                    )
                    _history(con, row["action_id"], "rejected", now, reason)
                    report.rejected.append(row["action_id"])
                    continue
            if not _connected(connectors, row["kind"], row["channel"] or ""):
                report.waiting.append(row["action_id"])
                continue
            attempts = int(row["attempts"]) + 1
            con.execute(
                "update actions set status = 'sending', attempts = ?, claimed_at = ?, "
                "updated_at = ?, next_attempt_at = null where action_id = ?",
                (attempts, now, now, row["action_id"]),
            )
            resumed = row["status"] == "sending"
            detail = f"attempt {attempts}"
            if resumed:
                detail += ": resumed after an attempt that did not record its result"
            _history(con, row["action_id"], "sending", now, detail)
            claimed.append(
                _Claimed(
                    action_id=row["action_id"],
                    kind=row["kind"],
                    key=row["idempotency_key"],
                    attempts=attempts,
                    claimed_at=now,
                    channel=row["channel"] or "",
                    sku=row["sku"] or "",
                    location_id=row["location_id"] or "",
                    quantity=int(row["quantity"] or 0),
                    po_id=row["po_id"] or "",
                    resumed=resumed,
                )
            )
    return claimed


# --- sending -----------------------------------------------------------------------------------


def _failure(action: _Claimed, exc: Exception) -> _Outcome:
    """A refusal is final; a failure that may pass (transport, 5xx, auth, garbled) retries."""
    transient = (
        RetriesExhaustedError,
        AuthenticationError,  # the action is fine; the credentials need fixing
        UnexpectedResponseError,
        ConfigurationError,
        httpx.HTTPError,
    )
    if isinstance(exc, transient):
        return _Outcome(action, "retry", error=f"{type(exc).__name__}: {exc}")
    if isinstance(exc, UnknownTargetError | ChannelError | ValueError):
        return _Outcome(action, "rejected", error=str(exc))
    return _Outcome(action, "retry", error=f"{type(exc).__name__}: {exc}")


def _send_rakuten(
    client: RakutenClient, targets: ChannelTargets, actions: list[_Claimed]
) -> list[_Outcome]:
    outcomes: list[_Outcome] = []
    ready: list[tuple[_Claimed, StockLevel]] = []
    for action in actions:
        try:
            key = targets.rakuten(action.sku)
            if action.quantity > MAX_QUANTITY:
                raise ValueError(f"quantity {action.quantity} is above RMS's {MAX_QUANTITY}")
        except (UnknownTargetError, ValueError) as exc:
            outcomes.append(_failure(action, exc))
            continue
        ready.append((action, StockLevel(key.manage_number, key.variant_id, action.quantity)))
    if ready:
        try:
            client.set_stock(level for _, level in ready)
        except Exception as exc:  # one bulk request: its outcome is every entry's
            outcomes += [_failure(action, exc) for action, _ in ready]
        else:
            outcomes += [
                _Outcome(
                    action,
                    "accepted",
                    result={
                        "manageNumber": level.manage_number,
                        "variantId": level.variant_id,
                        "mode": "ABSOLUTE",
                        "quantity": level.quantity,
                    },
                )
                for action, level in ready
            ]
    return outcomes


def _send_each(
    actions: list[_Claimed], send: Callable[[_Claimed], dict[str, Any]]
) -> list[_Outcome]:
    outcomes = []
    for action in actions:
        try:
            outcomes.append(_Outcome(action, "accepted", result=send(action)))
        except Exception as exc:
            outcomes.append(_failure(action, exc))
    return outcomes


def _purchase_order_lines(store: OpsStore, po_id: str) -> tuple[dict[str, Any], list[OrderLine]]:
    with store.read() as con:
        order = con.execute(
            "select supplier_id, ship_to_location_id, reference from purchase_orders "
            "where po_id = ?",
            (po_id,),
        ).fetchone()
        lines = con.execute(
            "select sku, quantity from purchase_order_lines where po_id = ? order by line_no",
            (po_id,),
        ).fetchall()
    return dict(order), [OrderLine(str(sku), int(quantity)) for sku, quantity in lines]


def _send_purchase_orders(
    store: OpsStore, client: SupplierClient, actions: list[_Claimed]
) -> list[_Outcome]:
    outcomes = []
    for action in actions:
        try:
            order, lines = _purchase_order_lines(store, action.po_id)
            placed = client.create_purchase_order(
                order["supplier_id"],
                order["ship_to_location_id"],
                order["reference"],
                lines,
                idempotency_key=action.key,
            )
        except Exception as exc:
            outcomes.append(_failure(action, exc))
            continue
        outcomes.append(
            _Outcome(action, "accepted", result=placed.purchase_order, replayed=placed.replayed)
        )
    return outcomes


# --- recording ---------------------------------------------------------------------------------


def _backoff(attempts: int, base: timedelta) -> timedelta:
    factor: int = 2 ** max(attempts - 1, 0)
    return min(base * factor, MAX_BACKOFF)


def _record(
    store: OpsStore,
    outcomes: list[_Outcome],
    *,
    max_attempts: int,
    backoff: timedelta,
    report: DispatchReport,
) -> None:
    """Record outcomes, unless another dispatcher took the action over meanwhile."""
    if not outcomes:
        return
    with store.write() as con:
        now = store.now()
        for outcome in outcomes:
            action = outcome.action
            status: str = outcome.status
            next_at: str | None = None
            if status == "retry":
                status = "failed" if action.attempts >= max_attempts else "failed_retrying"
                if status == "failed_retrying":
                    due = store.clock() + _backoff(action.attempts, backoff)
                    next_at = due.isoformat(timespec="microseconds")
            result = orjson.dumps(outcome.result).decode() if outcome.result is not None else None
            reason = outcome.error if status == "rejected" else None
            updated = con.execute(
                "update actions set status = ?, reason = ?, last_error = ?, "
                "result = coalesce(?, result), updated_at = ?, next_attempt_at = ? "
                "where action_id = ? and status = 'sending' and claimed_at = ?",
                (
                    status,
                    reason,
                    outcome.error,
                    result,
                    now,
                    next_at,
                    action.action_id,
                    action.claimed_at,
                ),
            ).rowcount
            if not updated:
                continue
            detail = outcome.error
            if outcome.replayed:
                detail = "the supplier had placed it already (idempotent replay); not placed again"
            _history(con, action.action_id, status, now, detail)
            {
                "accepted": report.accepted,
                "rejected": report.rejected,
                "failed_retrying": report.retrying,
                "failed": report.failed,
            }[status].append(action.action_id)
            if outcome.replayed:
                report.replayed.append(action.action_id)
            if action.kind == "purchase_order":
                _record_purchase_order(con, action, outcome, status, now)


def _po_history(con: Any, po_id: str, status: str, at: str, user: str, detail: str | None) -> None:
    seq = con.execute(
        "select coalesce(max(seq), 0) + 1 from purchase_order_status_history where po_id = ?",
        (po_id,),
    ).fetchone()[0]
    con.execute(
        "insert into purchase_order_status_history "
        "(po_id, seq, status, at, user_name, user_role, detail) values (?, ?, ?, ?, ?, ?, ?)",
        (po_id, seq, status, at, user, Role.SYSTEM.value, detail),
    )


def _record_purchase_order(
    con: Any, action: _Claimed, outcome: _Outcome, status: str, now: str
) -> None:
    if status == "accepted" and outcome.result is not None:
        supplier_status = str(outcome.result.get("status") or "submitted")
        ours = _SUPPLIER_STATUS.get(supplier_status, "sent")
        supplier_id = str(outcome.result.get("id"))
        con.execute(
            "update purchase_orders set status = ?, supplier_po_id = ?, supplier_status = ?, "
            "updated_at = ? where po_id = ?",
            (ours, supplier_id, supplier_status, now, action.po_id),
        )
        detail = f"placed at the supplier as {supplier_id}"
        if outcome.replayed:
            detail += " (confirmed by an idempotent replay of an earlier attempt)"
        _po_history(con, action.po_id, ours, now, "system:dispatcher", detail)
    elif status == "rejected":
        con.execute(
            "update purchase_orders set status = 'rejected', updated_at = ? where po_id = ?",
            (now, action.po_id),
        )
        _po_history(con, action.po_id, "rejected", now, "system:dispatcher", outcome.error)


# --- the pass ----------------------------------------------------------------------------------


def dispatch(
    store: OpsStore,
    connectors: Connectors,
    *,
    action_ids: Sequence[str] | None = None,
    max_attempts: int = 5,
    backoff: timedelta = BACKOFF,
    stale_after: timedelta = STALE_AFTER,
    retry_failed: bool = False,
) -> DispatchReport:
    """Send what is due (or only `action_ids`) and record the outcomes; see the module doc.

    `stale_after` is how long an action may stay ``sending`` before it is taken for the work
    of a dispatcher that died; `retry_failed` also resends actions that ran out of attempts.
    """
    report = DispatchReport()
    claimed = _claim(
        store,
        connectors,
        action_ids=action_ids,
        stale_after=stale_after,
        retry_failed=retry_failed,
        report=report,
    )
    pushes: dict[str, list[_Claimed]] = {}
    for action in claimed:
        if action.kind == "stock_push":
            pushes.setdefault(action.channel, []).append(action)
    targets = connectors.targets

    def record(outcomes: list[_Outcome]) -> None:
        _record(store, outcomes, max_attempts=max_attempts, backoff=backoff, report=report)

    if connectors.rakuten is not None and pushes.get("rakuten"):
        record(_send_rakuten(connectors.rakuten, targets, pushes["rakuten"]))
    if (shopify := connectors.shopify) is not None and pushes.get("shopify"):

        def to_shopify(action: _Claimed) -> dict[str, Any]:
            location, item = targets.shopify(shopify, action.sku, action.location_id)
            return shopify.set_inventory_level(
                location_id=location, inventory_item_id=item, available=action.quantity
            )

        record(_send_each(pushes["shopify"], to_shopify))
    if (amazon := connectors.amazon) is not None and pushes.get("amazon"):

        def to_amazon(action: _Claimed) -> dict[str, Any]:
            return amazon.set_quantity(
                targets.amazon(action.sku, action.location_id), action.quantity
            )

        record(_send_each(pushes["amazon"], to_amazon))
    orders = [a for a in claimed if a.kind == "purchase_order"]
    if connectors.supplier is not None and orders:
        record(_send_purchase_orders(store, connectors.supplier, orders))
    return report


def dispatch_with_settings(
    settings: Settings, *, action_ids: Sequence[str] | None = None, **options: Any
) -> DispatchReport:
    """Open the store under ``settings.data_dir`` and every connector, and dispatch."""
    store = OpsStore.under(settings.data_dir)
    with Connectors.from_settings(settings) as connectors:
        return dispatch(store, connectors, action_ids=action_ids, **options)


# --- following purchase orders -----------------------------------------------------------------


def follow_purchase_orders(store: OpsStore, connectors: Connectors) -> FollowReport:
    """Ask the supplier about every order sent and not yet received; record what moved.

    Statuses only move forward (sent, confirmed, shipped, received); a read that fails is
    reported and tried again next time.
    """
    report = FollowReport()
    supplier = connectors.supplier
    if supplier is None:
        return report
    with store.read() as con:
        open_orders = con.execute(
            "select po_id, supplier_po_id, status from purchase_orders "
            "where status in ('sent', 'confirmed', 'shipped') and supplier_po_id is not null "
            "order by po_id"
        ).fetchall()
    for po_id, supplier_po_id, status in open_orders:
        report.checked += 1
        try:
            remote = supplier.get_purchase_order(supplier_po_id)
        except (ChannelError, httpx.HTTPError) as exc:
            report.errors[po_id] = str(exc)
            continue
        supplier_status = str(remote.get("status") or "")
        ours = _SUPPLIER_STATUS.get(supplier_status)
        moved = ours is not None and _PROGRESS.index(ours) > _PROGRESS.index(status)
        with store.write() as con:
            now = store.now()
            con.execute(
                "update purchase_orders set supplier_status = ?"
                + (", status = ?, updated_at = ?" if moved else "")
                + " where po_id = ? and status = ?",
                (supplier_status, ours, now, po_id, status)
                if moved
                else (supplier_status, po_id, status),
            )
            if moved and ours is not None:
                at = remote.get(f"{supplier_status}_at")
                detail = f"the supplier reports {supplier_status}" + (f" at {at}" if at else "")
                _po_history(con, po_id, ours, now, FOLLOW_USER, detail)
                report.changed[po_id] = ours
    return report


def follow_with_settings(settings: Settings) -> FollowReport:
    """`follow_purchase_orders` with the store and supplier of `settings`."""
    store = OpsStore.under(settings.data_dir)
    with SupplierClient.from_settings(settings.supplier) as supplier:
        return follow_purchase_orders(store, Connectors(supplier=supplier))

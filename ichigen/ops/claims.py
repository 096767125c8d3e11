"""The two write transactions of a dispatch pass: claiming what is due, recording what became of it.

`claim` moves every due action to ``sending`` (counting the attempt) in one ``BEGIN IMMEDIATE``
transaction, so two dispatchers never send the same action at once; a push that a newer push to
the same listing will overwrite is ``rejected`` as superseded instead. `record_outcomes` writes
each channel's answers as soon as it gave them: ``accepted``, ``rejected`` with the reason, or
``failed_retrying`` with the next attempt time (exponential backoff, at most `MAX_BACKOFF`;
``failed`` after the last attempt). An outcome is recorded only if the action is still the
claim it was sent under, so a dispatcher that took over a stale send is never overwritten.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, Literal

import orjson

from ichigen.ops._shared import append_action_status, append_purchase_order_status
from ichigen.ops.roles import Role
from ichigen.ops.store import OpsStore

__all__ = [
    "BACKOFF",
    "MAX_BACKOFF",
    "STALE_AFTER",
    "SUPPLIER_STATUS",
    "Claimed",
    "DispatchReport",
    "Outcome",
    "claim",
    "due_actions",
    "record_outcomes",
]

STALE_AFTER: Final = timedelta(minutes=10)
BACKOFF: Final = timedelta(seconds=30)
MAX_BACKOFF: Final = timedelta(hours=1)

# The supplier's statuses, in the order an order moves through them, as ichigen names them.
SUPPLIER_STATUS: Final = {
    "submitted": "sent",
    "confirmed": "confirmed",
    "shipped": "shipped",
    "received": "received",
}


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


@dataclass(frozen=True)
class Claimed:
    """An action this pass moved to ``sending``: what to send, and the claim to record under."""

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
class Outcome:
    """What the far end made of a claimed action (``retry``: a failure that may pass)."""

    action: Claimed
    status: Literal["accepted", "rejected", "retry"]
    result: dict[str, Any] | None = None
    error: str | None = None
    replayed: bool = False


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


def claim(
    store: OpsStore,
    connected: Callable[[str, str], bool],
    *,
    action_ids: Sequence[str] | None,
    stale_after: timedelta,
    retry_failed: bool,
    report: DispatchReport,
) -> list[Claimed]:
    """Move what is due (or only `action_ids`) to ``sending`` and return it.

    `connected(kind, channel)` says whether this pass can send there; an action it cannot send
    stays as it is and is reported as waiting.
    """
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
        claimed: list[Claimed] = []
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
                    append_action_status(con, row["action_id"], "rejected", now, reason)
                    report.rejected.append(row["action_id"])
                    continue
            if not connected(row["kind"], row["channel"] or ""):
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
            append_action_status(con, row["action_id"], "sending", now, detail)
            claimed.append(
                Claimed(
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


def _backoff(attempts: int, base: timedelta) -> timedelta:
    factor: int = 2 ** max(attempts - 1, 0)
    return min(base * factor, MAX_BACKOFF)


def record_outcomes(
    store: OpsStore,
    outcomes: list[Outcome],
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
            append_action_status(con, action.action_id, status, now, detail)
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


def _record_purchase_order(
    con: sqlite3.Connection, action: Claimed, outcome: Outcome, status: str, now: str
) -> None:
    if status == "accepted" and outcome.result is not None:
        supplier_status = str(outcome.result.get("status") or "submitted")
        ours = SUPPLIER_STATUS.get(supplier_status, "sent")
        supplier_id = str(outcome.result.get("id"))
        con.execute(
            "update purchase_orders set status = ?, supplier_po_id = ?, supplier_status = ?, "
            "updated_at = ? where po_id = ?",
            (ours, supplier_id, supplier_status, now, action.po_id),
        )
        detail = f"placed at the supplier as {supplier_id}"
        if outcome.replayed:
            detail += " (confirmed by an idempotent replay of an earlier attempt)"
        append_purchase_order_status(
            con, action.po_id, ours, now, "system:dispatcher", Role.SYSTEM, detail
        )
    elif status == "rejected":
        con.execute(
            "update purchase_orders set status = 'rejected', updated_at = ? where po_id = ?",
            (now, action.po_id),
        )
        append_purchase_order_status(
            con, action.po_id, "rejected", now, "system:dispatcher", Role.SYSTEM, outcome.error
        )

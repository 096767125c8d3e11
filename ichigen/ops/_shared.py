"""Helpers the actions and the dispatcher share: new ids and the rows every step appends.

Kept in one place so that an action is recorded, and its status history and a purchase order's
history are appended, by the same SQL whoever takes the step (a page, the dispatcher or the
purchase-order follow-up).
"""

from __future__ import annotations

import math
import sqlite3
import uuid
from typing import Any

import polars as pl

from ichigen.ops.roles import Role

__all__ = [
    "TIME",
    "append_action_status",
    "append_purchase_order_status",
    "insert_action",
    "int_or_none",
    "new_id",
    "where_equal",
]

# Times as the reads return them (the store keeps ISO text in UTC; `OpsStore.frame` parses it).
TIME = pl.Datetime("us", "UTC")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def int_or_none(value: Any) -> int | None:
    """A frame's count as the store keeps it: None for null and NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def insert_action(
    con: sqlite3.Connection,
    *,
    action_id: str,
    kind: str,
    user: str,
    role: Role,
    batch_id: str,
    at: str,
    detail: str | None = None,
) -> None:
    """Record an action in the outbox as ``recorded``, with the first entry of its history."""
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


def append_action_status(
    con: sqlite3.Connection, action_id: str, status: str, at: str, detail: str | None
) -> None:
    seq = con.execute(
        "select coalesce(max(seq), 0) + 1 from action_status_history where action_id = ?",
        (action_id,),
    ).fetchone()[0]
    con.execute(
        "insert into action_status_history (action_id, seq, status, at, detail) "
        "values (?, ?, ?, ?, ?)",
        (action_id, seq, status, at, detail),
    )


def append_purchase_order_status(
    con: sqlite3.Connection,
    po_id: str,
    status: str,
    at: str,
    user: str,
    role: Role,
    detail: str | None,
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


def where_equal(prefix: str = "", **values: str | None) -> tuple[str, list[Any]]:
    """A ``where`` clause (and its parameters) for the filters given a value; "" for none."""
    clauses = [(f"{prefix}{name} = ?", value) for name, value in values.items() if value]
    if not clauses:
        return "", []
    return " where " + " and ".join(c for c, _ in clauses), [v for _, v in clauses]

"""The outbox as the pages and the sensor read it: every action and each status it went through.

Both kinds of action (stock pushes and purchase-order sends) are rows of the ``actions`` table
with one history; `ichigen.ops.stock_pushes` and `ichigen.ops.purchase_orders` record them and
read them with their own details. Reads return polars frames with fixed schemas (the same
columns and types when empty), so a page can show "no data yet" without special cases.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from ichigen.ops._shared import TIME, where_equal
from ichigen.ops.store import OpsStore

__all__ = ["ACTION_SCHEMA", "ACTION_STATUSES", "HISTORY_SCHEMA", "action_history", "list_actions"]

ACTION_STATUSES: Final = (
    "recorded",  # in the outbox, not yet sent
    "sending",  # claimed by a dispatcher; it may or may not have reached the far end
    "accepted",
    "rejected",  # the far end refused it (reason says why), or it was superseded
    "failed_retrying",  # a transient failure; sent again from next_attempt_at
    "failed",  # transient failures past every retry; dispatch(retry_failed=True) resends
)

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
    "created_at": TIME,
    "updated_at": TIME,
    "next_attempt_at": TIME,
}

# The history of an action or of a purchase order.
HISTORY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),  # the action or purchase order
    "seq": pl.Int64(),
    "status": pl.String(),
    "at": TIME,
    "user_name": pl.String(),
    "user_role": pl.String(),
    "detail": pl.String(),
}


def list_actions(
    store: OpsStore,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 1000,
) -> pl.DataFrame:
    """The outbox, newest first (`ACTION_SCHEMA`)."""
    where, params = where_equal(kind=kind, status=status)
    return store.frame(
        f"select {', '.join(ACTION_SCHEMA)} from actions{where} "
        "order by created_at desc, action_id limit ?",
        [*params, limit],
        schema=ACTION_SCHEMA,
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

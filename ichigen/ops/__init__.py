"""Actions: the ops store (outbox), roles, the actions the pages call, and the dispatcher.

    from ichigen.ops import OpsStore, Role, stock_pushes
    store = OpsStore.under(settings.data_dir)
    ids = stock_pushes.record_stock_push(store, preview, user="aiko", role=Role.BUYER)

Every action that changes something takes the acting ``user`` and ``role`` and checks the role
first (`require`: a refusal raises `ActionRefusedError` and records nothing). Nothing an action
does talks to a channel: it is recorded in the outbox and the dispatcher sends it (recorded
before sent, result recorded after, a crash in between resumed; DESIGN.md decision 7).

    stock_pushes     preview, record and list stock pushes (absolute quantities per listing)
    purchase_orders  propose, draft, edit, approve, cancel and send purchase orders; list them
    exports          a purchase order as CSV
    outbox           every action and its status history
    dispatch         the connectors and one dispatch pass: claims (claim, record outcomes,
                     backoff), senders (one per channel, and the supplier)
    follow           ask the supplier where the orders sent are
    sync             the scheduled stock sync ("all that differ", as the system user)
    targets          a push's listing as each channel names it; rakuten_keys, Rakuten's keys
"""

from __future__ import annotations

from ichigen.ops.errors import (
    ActionRefusedError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
    OpsError,
)
from ichigen.ops.roles import SYSTEM_USER, Permission, Role, can, require
from ichigen.ops.store import OpsStore

__all__ = [
    "SYSTEM_USER",
    "ActionRefusedError",
    "InvalidRequestError",
    "InvalidTransitionError",
    "NotFoundError",
    "OpsError",
    "OpsStore",
    "Permission",
    "Role",
    "can",
    "require",
]

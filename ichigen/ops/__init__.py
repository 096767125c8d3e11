"""Actions: the ops store (outbox), roles, the API the pages call, and the dispatcher.

    from ichigen.ops import OpsStore, api, Role
    store = OpsStore.under(settings.data_dir)
    ids = api.record_stock_push(store, preview, user="aiko", role=Role.BUYER)

See `ichigen.ops.api` for the functions, `ichigen.ops.dispatch` for sending.
"""

from __future__ import annotations

from ichigen.ops import api
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
    "api",
    "can",
    "require",
]

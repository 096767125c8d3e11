"""Errors raised by the ops store and its API. Each says what was wrong and what to do.

    OpsError
    ├── ActionRefusedError       the user's role may not do this (also a `PermissionError`);
    │                            nothing was recorded
    ├── NotFoundError            no such purchase order or action (also a `LookupError`)
    ├── InvalidTransitionError   the order or action is not in a state that allows this step
    └── InvalidRequestError      the request itself is wrong (an unknown channel, a negative
                                 quantity, an empty purchase order ...; also a `ValueError`)

Errors from the far end (a channel or supplier refusing a push or an order) are not raised to
the caller of the dispatcher: they are recorded on the action as ``rejected`` with the reason.
"""

from __future__ import annotations

__all__ = [
    "ActionRefusedError",
    "InvalidRequestError",
    "InvalidTransitionError",
    "NotFoundError",
    "OpsError",
]


class OpsError(Exception):
    """Base class of everything the ops store raises on purpose."""


class ActionRefusedError(OpsError, PermissionError):
    """The role may not take this action; ask someone with the named role to do it."""

    def __init__(self, user: str, role: str, permission: str, allowed: list[str]) -> None:
        super().__init__(
            f"{user} ({role}) may not {permission.replace('_', ' ')}: that needs one of the "
            f"roles {', '.join(allowed)}; nothing was recorded"
        )
        self.user = user
        self.role = role
        self.permission = permission


class NotFoundError(OpsError, LookupError):
    """No purchase order or action with that id in the ops store."""


class InvalidTransitionError(OpsError):
    """The purchase order or action is not in a state that allows the step asked for."""


class InvalidRequestError(OpsError, ValueError):
    """The request is malformed: say which field and why."""

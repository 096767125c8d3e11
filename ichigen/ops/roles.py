"""Who may do what: roles, permissions and the one check the API and the pages both use.

A role is a set of permissions. ``viewer`` only looks; ``marketer`` looks and sees personal
data (names, e-mail, phone) unmasked: the published snapshot holds it masked, and the app opens
the restricted file of clear values only for a role with ``see_personal_data``
(`ichigen.ops.personal_data`); ``buyer`` looks, pushes stock and creates, approves and sends
purchase orders; ``admin`` may do everything. ``system`` is the role of scheduled jobs (the
stock sync): it may push stock and nothing else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ichigen.ops.errors import ActionRefusedError, InvalidRequestError

__all__ = [
    "PERMISSIONS",
    "SYSTEM_USER",
    "Permission",
    "Role",
    "can",
    "parse_role",
    "require",
]

SYSTEM_USER: Final = "system:stock-sync"


class Role(StrEnum):
    VIEWER = "viewer"
    MARKETER = "marketer"
    BUYER = "buyer"
    ADMIN = "admin"
    SYSTEM = "system"


class Permission(StrEnum):
    VIEW = "view"
    SEE_PERSONAL_DATA = "see_personal_data"
    PUSH_STOCK = "push_stock"
    EDIT_PURCHASE_ORDERS = "edit_purchase_orders"  # create drafts, change quantities, cancel
    APPROVE_PURCHASE_ORDERS = "approve_purchase_orders"
    SEND_PURCHASE_ORDERS = "send_purchase_orders"
    DISPATCH = "dispatch"  # run the outbox (resend what was recorded); follow suppliers


_BUYING: Final = frozenset(
    {
        Permission.PUSH_STOCK,
        Permission.EDIT_PURCHASE_ORDERS,
        Permission.APPROVE_PURCHASE_ORDERS,
        Permission.SEND_PURCHASE_ORDERS,
        Permission.DISPATCH,
    }
)

PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.MARKETER: frozenset({Permission.VIEW, Permission.SEE_PERSONAL_DATA}),
    Role.BUYER: frozenset({Permission.VIEW}) | _BUYING,
    Role.ADMIN: frozenset(Permission),
    Role.SYSTEM: frozenset({Permission.VIEW, Permission.PUSH_STOCK, Permission.DISPATCH}),
}


def parse_role(role: Role | str) -> Role:
    """`role` as a `Role`; an unknown name is an `InvalidRequestError` naming the known ones."""
    if isinstance(role, Role):
        return role
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidRequestError(f"unknown role {role!r}: choose one of {known}") from None


def can(role: Role | str, permission: Permission) -> bool:
    """Whether `role` may do `permission`; an unknown role may do nothing."""
    try:
        return permission in PERMISSIONS[parse_role(role)]
    except InvalidRequestError:
        return False


def require(user: str, role: Role | str, permission: Permission) -> Role:
    """Return the parsed role if it may do `permission`, else raise `ActionRefusedError`.

    Called before anything is written, so a refused action leaves no trace in the store.
    """
    if not user or not user.strip():
        raise InvalidRequestError("every action names the user who takes it; user is empty")
    parsed = parse_role(role)
    if permission not in PERMISSIONS[parsed]:
        allowed = [r.value for r in Role if permission in PERMISSIONS[r] and r is not Role.SYSTEM]
        raise ActionRefusedError(user, parsed.value, permission.value, allowed)
    return parsed

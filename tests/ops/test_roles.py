"""Who may do what: each role's permissions, and the check every action runs first."""

from __future__ import annotations

import pytest

from ichigen.ops import InvalidRequestError, OpsStore, Permission, Role, can
from ichigen.ops.outbox import list_actions
from ichigen.ops.stock_pushes import record_stock_push


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {Permission.VIEW}),
        (Role.MARKETER, {Permission.VIEW, Permission.SEE_PERSONAL_DATA}),
        (Role.SYSTEM, {Permission.VIEW, Permission.PUSH_STOCK, Permission.DISPATCH}),
        (Role.ADMIN, set(Permission)),
    ],
)
def test_each_role_may_do_exactly_its_permissions(role: Role, allowed: set[Permission]) -> None:
    assert {p for p in Permission if can(role, p)} == allowed


def test_a_buyer_pushes_stock_and_handles_purchase_orders_but_sees_no_personal_data() -> None:
    assert can("buyer", Permission.PUSH_STOCK) and can("BUYER", Permission.SEND_PURCHASE_ORDERS)
    assert not can("buyer", Permission.SEE_PERSONAL_DATA)
    assert not can("nobody", Permission.VIEW)


def test_an_unknown_role_or_an_anonymous_user_is_refused(store: OpsStore) -> None:
    with pytest.raises(InvalidRequestError, match="unknown role 'boss'"):
        record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 1)], user="x", role="boss")
    with pytest.raises(InvalidRequestError, match="user is empty"):
        record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 1)], user=" ", role="buyer")
    assert list_actions(store).is_empty()

"""The purchase-order lifecycle from suggestions to sending, without a network."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from ichigen.ops import (
    ActionRefusedError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
    OpsStore,
    Role,
)
from ichigen.ops.exports import purchase_order_csv
from ichigen.ops.purchase_orders import (
    approve_purchase_order,
    cancel_purchase_order,
    create_purchase_order_draft,
    list_purchase_orders,
    propose_purchase_orders,
    purchase_order_history,
    purchase_order_lines,
    send_purchase_order,
    update_purchase_order_lines,
)

BUYER: dict[str, Any] = {"user": "aiko", "role": "buyer"}


def _signals() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "reorder_key": ["A:WH-TOKYO", "B:WH-TOKYO", "C:WH-OSAKA"],
            "sku": ["A", "B", "C"],
            "warehouse_id": ["WH-TOKYO", "WH-TOKYO", "WH-OSAKA"],
            "supplier_id": ["SUP-1", "SUP-1", "SUP-1"],
            "needs_reorder": [True, True, True],
            "raw_quantity": [30.5, 10.0, 5.0],
            "moq": [24, 12, 12],
            "case_pack": [12, 6, 6],
            "suggested_quantity": [36, 12, 12],
            "unit_cost_jpy": [1000.0, 250.0, 100.0],
            "demand_daily_mean": [2.0, 0.5, 0.3],
        }
    )


def test_suggestions_become_one_proposal_per_supplier_and_warehouse_keeping_their_numbers(
    store: OpsStore,
) -> None:
    proposals = propose_purchase_orders(_signals())
    assert [(p.supplier_id, p.ship_to_location_id, len(p.lines)) for p in proposals] == [
        ("SUP-1", "WH-OSAKA", 1),
        ("SUP-1", "WH-TOKYO", 2),
    ]
    tokyo = proposals[1]
    po_id = create_purchase_order_draft(
        store,
        supplier_id=tokyo.supplier_id,
        ship_to_location_id=tokyo.ship_to_location_id,
        lines=tokyo.lines,
        **BUYER,
    )
    lines = purchase_order_lines(store, po_id)
    assert lines.select("sku", "quantity", "suggested_quantity").rows() == [
        ("A", 36, 36),
        ("B", 12, 12),
    ]
    assert '"demand_daily_mean":2.0' in lines["suggestion"][0]
    order = list_purchase_orders(store).row(0, named=True)
    assert (order["status"], order["lines"], order["units"], order["value_jpy"]) == (
        "draft",
        2,
        48,
        39000.0,
    )


def test_a_purchase_order_moves_draft_approved_sending_and_refuses_steps_out_of_order(
    store: OpsStore,
) -> None:
    po_id = create_purchase_order_draft(
        store,
        supplier_id="SUP-1",
        ship_to_location_id="WH-TOKYO",
        lines=_signals().head(2),
        **BUYER,
    )
    with pytest.raises(InvalidTransitionError, match="only a approved"):
        send_purchase_order(store, po_id, **BUYER)
    update_purchase_order_lines(store, po_id, {"A": 48, "B": 0}, **BUYER)
    with pytest.raises(ActionRefusedError, match="viewer"):
        approve_purchase_order(store, po_id, user="v", role=Role.VIEWER)
    approve_purchase_order(store, po_id, **BUYER)
    with pytest.raises(InvalidTransitionError):
        update_purchase_order_lines(store, po_id, {"A": 12}, **BUYER)
    action_id = send_purchase_order(store, po_id, **BUYER)
    assert purchase_order_history(store, po_id).select("status", "detail").rows()[:3] == [
        ("draft", None),
        ("draft", "A: 36 -> 48; B: removed (was 12)"),
        ("approved", None),
    ]
    order = list_purchase_orders(store).row(0, named=True)
    assert (order["status"], order["send_action_id"], order["send_status"]) == (
        "sending",
        action_id,
        "recorded",
    )
    with pytest.raises(InvalidTransitionError):
        cancel_purchase_order(store, po_id, **BUYER)
    csv = purchase_order_csv(store, po_id).decode("utf-8-sig").splitlines()
    assert csv[1].split(",")[5:] == ["A", "48", "1000", "48000"]
    with pytest.raises(NotFoundError):
        purchase_order_csv(store, "PO-NONE")


def test_an_order_from_another_supplier_or_without_lines_is_refused(store: OpsStore) -> None:
    with pytest.raises(InvalidRequestError, match="SUP-1"):
        create_purchase_order_draft(
            store, supplier_id="SUP-2", ship_to_location_id="WH-TOKYO", lines=_signals(), **BUYER
        )
    with pytest.raises(InvalidRequestError, match="at least one line"):
        create_purchase_order_draft(
            store, supplier_id="SUP-2", ship_to_location_id="WH-TOKYO", lines=[], **BUYER
        )
    assert list_purchase_orders(store).is_empty()

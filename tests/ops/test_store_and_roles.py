"""The ops store, the permission check and the purchase-order lifecycle, without a network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.rakuten import InventoryKey, RakutenClient, RakutenRates
from ichigen.ops import (
    ActionRefusedError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
    OpsStore,
    Permission,
    Role,
    api,
    can,
)
from ichigen.ops.dispatch import Connectors, dispatch, due_actions
from ichigen.ops.targets import ChannelTargets

BUYER: dict[str, Any] = {"user": "aiko", "role": "buyer"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


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
        api.record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 1)], user="x", role="boss")
    with pytest.raises(InvalidRequestError, match="user is empty"):
        api.record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 1)], user=" ", role="buyer")
    assert api.list_actions(store).is_empty()


def test_the_store_lives_under_the_data_dir_and_reads_are_typed_when_empty(
    tmp_path: Path,
) -> None:
    store = OpsStore.under(tmp_path)
    assert api.list_actions(store).schema == pl.Schema(api.ACTION_SCHEMA)
    assert api.list_purchase_orders(store).schema == pl.Schema(api.PURCHASE_ORDER_SCHEMA)
    assert api.list_stock_pushes(store).schema == pl.Schema(api.STOCK_PUSH_SCHEMA)
    assert api.purchase_order_history(store).schema == pl.Schema(api.HISTORY_SCHEMA)
    assert store.path == tmp_path / "ops" / "ops.sqlite" and store.path.exists()


def test_a_preview_compares_what_is_told_with_what_will_be_told() -> None:
    availability = pl.DataFrame(
        {
            "channel": ["rakuten", "shopify", "shopify"],
            "location_id": ["WH-TOKYO", "WH-TOKYO", "WH-OSAKA"],
            "sku": ["A", "A", "B"],
            "listed_quantity": [5, None, 3],
            "quantity_to_tell": [2, 4, 3],
            "available_to_promise": [4, 6, 5],
            "safety_buffer_units": [2, 2, 2],
        }
    )
    preview = api.preview_stock_push(availability)
    assert preview.select("channel", "location_id", "change", "differs").rows() == [
        ("rakuten", "WH-TOKYO", -3, True),
        ("shopify", "WH-OSAKA", 0, False),
        ("shopify", "WH-TOKYO", None, True),  # not known what Shopify shows: pushed
    ]
    assert api.stock_pushes_that_differ(availability)["sku"].to_list() == ["A", "A"]
    tuples = api.preview_stock_push([("rakuten", "A", "WH-TOKYO", 0)], availability=availability)
    assert tuples.select("listed_quantity", "change").row(0) == (5, -5)
    by_channel = api.preview_by_channel(preview)
    assert by_channel.filter(pl.col("channel") == "rakuten")["units_after"].to_list() == [2]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([("myspace", "A", "WH-TOKYO", 1)], "unknown channel"),
        ([("rakuten", "A", "WH-TOKYO", -1)], "not a count"),
        ([("rakuten", "A", "WH-TOKYO", 1), ("rakuten", "A", "WH-TOKYO", 2)], "more than once"),
    ],
)
def test_a_malformed_push_is_refused_whole(
    store: OpsStore, items: list[tuple[str, str, str, int]], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        api.record_stock_push(store, items, **BUYER)
    assert api.list_actions(store).is_empty()


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
    proposals = api.propose_purchase_orders(_signals())
    assert [(p.supplier_id, p.ship_to_location_id, len(p.lines)) for p in proposals] == [
        ("SUP-1", "WH-OSAKA", 1),
        ("SUP-1", "WH-TOKYO", 2),
    ]
    tokyo = proposals[1]
    po_id = api.create_purchase_order_draft(
        store,
        supplier_id=tokyo.supplier_id,
        ship_to_location_id=tokyo.ship_to_location_id,
        lines=tokyo.lines,
        **BUYER,
    )
    lines = api.purchase_order_lines(store, po_id)
    assert lines.select("sku", "quantity", "suggested_quantity").rows() == [
        ("A", 36, 36),
        ("B", 12, 12),
    ]
    assert '"demand_daily_mean":2.0' in lines["suggestion"][0]
    order = api.list_purchase_orders(store).row(0, named=True)
    assert (order["status"], order["lines"], order["units"], order["value_jpy"]) == (
        "draft",
        2,
        48,
        39000.0,
    )


def test_a_purchase_order_moves_draft_approved_sending_and_refuses_steps_out_of_order(
    store: OpsStore,
) -> None:
    po_id = api.create_purchase_order_draft(
        store,
        supplier_id="SUP-1",
        ship_to_location_id="WH-TOKYO",
        lines=_signals().head(2),
        **BUYER,
    )
    with pytest.raises(InvalidTransitionError, match="only a approved"):
        api.send_purchase_order(store, po_id, **BUYER)
    api.update_purchase_order_lines(store, po_id, {"A": 48, "B": 0}, **BUYER)
    with pytest.raises(ActionRefusedError, match="viewer"):
        api.approve_purchase_order(store, po_id, user="v", role=Role.VIEWER)
    api.approve_purchase_order(store, po_id, **BUYER)
    with pytest.raises(InvalidTransitionError):
        api.update_purchase_order_lines(store, po_id, {"A": 12}, **BUYER)
    action_id = api.send_purchase_order(store, po_id, **BUYER)
    assert api.purchase_order_history(store, po_id).select("status", "detail").rows()[:3] == [
        ("draft", None),
        ("draft", "A: 36 -> 48; B: removed (was 12)"),
        ("approved", None),
    ]
    order = api.list_purchase_orders(store).row(0, named=True)
    assert (order["status"], order["send_action_id"], order["send_status"]) == (
        "sending",
        action_id,
        "recorded",
    )
    with pytest.raises(InvalidTransitionError):
        api.cancel_purchase_order(store, po_id, **BUYER)
    csv = api.purchase_order_csv(store, po_id).decode("utf-8-sig").splitlines()
    assert csv[1].split(",")[5:] == ["A", "48", "1000", "48000"]
    with pytest.raises(NotFoundError):
        api.purchase_order_csv(store, "PO-NONE")


def test_an_order_from_another_supplier_or_without_lines_is_refused(store: OpsStore) -> None:
    with pytest.raises(InvalidRequestError, match="SUP-1"):
        api.create_purchase_order_draft(
            store, supplier_id="SUP-2", ship_to_location_id="WH-TOKYO", lines=_signals(), **BUYER
        )
    with pytest.raises(InvalidRequestError, match="at least one line"):
        api.create_purchase_order_draft(
            store, supplier_id="SUP-2", ship_to_location_id="WH-TOKYO", lines=[], **BUYER
        )
    assert api.list_purchase_orders(store).is_empty()


def _rakuten(handler: Any) -> Connectors:
    client = RakutenClient(
        base_url="http://rms.test",
        service_secret="s",
        license_key="l",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        rates=RakutenRates(inventory_upsert=1000.0),
        retry=RetryPolicy(max_attempts=1),
    )
    targets = ChannelTargets(rakuten_keys={"A": InventoryKey("item-a", "a")})
    return Connectors(rakuten=client, targets=targets)


def test_transient_failures_back_off_and_give_up_after_the_last_attempt(tmp_path: Path) -> None:
    clock = Clock()
    store = OpsStore.under(tmp_path, clock=clock)
    (action_id,) = api.record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 3)], **BUYER)
    connectors = _rakuten(lambda request: httpx.Response(503, json={}))

    assert dispatch(store, connectors, max_attempts=2).retrying == [action_id]
    row = api.list_actions(store).row(0, named=True)
    assert row["status"] == "failed_retrying" and "503" in row["last_error"]
    assert row["next_attempt_at"] == clock.now + timedelta(seconds=30)
    assert due_actions(store) == []  # not before its time
    clock.now += timedelta(seconds=31)
    assert dispatch(store, connectors, max_attempts=2).failed == [action_id]
    assert api.list_actions(store)["attempts"].to_list() == [2]
    assert dispatch(store, connectors).sent == 0  # given up until asked to retry failed
    assert dispatch(store, connectors, retry_failed=True, max_attempts=4).retrying == [action_id]


def test_an_older_push_to_a_listing_is_superseded_by_a_newer_one(tmp_path: Path) -> None:
    clock = Clock()
    store = OpsStore.under(tmp_path, clock=clock)
    (old,) = api.record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 3)], **BUYER)
    clock.now += timedelta(seconds=1)
    (new,) = api.record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 1)], **BUYER)
    bodies: list[bytes] = []

    def upsert(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(204)

    report = dispatch(store, _rakuten(upsert))
    assert report.rejected == [old] and report.accepted == [new]
    assert len(bodies) == 1 and b'"quantity":1' in bodies[0] and b'"ABSOLUTE"' in bodies[0]
    reasons = dict(api.list_actions(store).select("action_id", "reason").rows())
    assert reasons[old] == f"superseded by {new}, a newer push to the same listing"
    assert api.last_accepted_pushes(store)["quantity"].to_list() == [1]


def test_actions_for_a_channel_without_a_connector_wait(store: OpsStore) -> None:
    (action_id,) = api.record_stock_push(store, [("amazon", "A", "WH-TOKYO", 3)], **BUYER)
    report = dispatch(store, Connectors())
    assert report.waiting == [action_id]
    assert api.list_actions(store)["status"].to_list() == ["recorded"]

"""Actions reach the simulators over real sockets, once, and their results are recorded."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import httpx
import polars as pl
import pytest

from ichigen.ops import ActionRefusedError, OpsStore, Role
from ichigen.ops import dispatch as dispatcher
from ichigen.ops.dispatch import Connectors, dispatch
from ichigen.ops.follow import follow_purchase_orders
from ichigen.ops.outbox import action_history, list_actions
from ichigen.ops.purchase_orders import (
    PurchaseOrderLineInput,
    approve_purchase_order,
    create_purchase_order_draft,
    list_purchase_orders,
    purchase_order_history,
    send_purchase_order,
)
from ichigen.ops.stock_pushes import list_stock_pushes, preview_stock_push, record_stock_push
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings

BUYER: dict[str, Any] = {"user": "aiko", "role": Role.BUYER}


def _listed(world: World, channel: str, location: str) -> pl.DataFrame:
    with world.lock:
        return world.tables["listings"].filter(
            (pl.col("channel") == channel) & (pl.col("location_id") == location)
        )


def test_a_rakuten_push_of_zero_sets_the_listing_and_records_acceptance(
    store: OpsStore, connectors: Connectors, world: World
) -> None:
    listed = _listed(world, "rakuten", "WH-TOKYO").filter(pl.col("quantity") > 0)
    sku = listed.sort("sku")["sku"][0]
    ids = record_stock_push(store, [("rakuten", sku, "WH-TOKYO", 0)], **BUYER)
    assert list_actions(store)["status"].to_list() == ["recorded"]

    report = dispatch(store, connectors)

    assert report.accepted == ids
    assert world.listing_quantity("rakuten", sku, "WH-TOKYO") == 0
    pushes = list_stock_pushes(store)
    assert pushes.select("status", "attempts", "user_name").row(0) == ("accepted", 1, "aiko")
    history = action_history(store, ids[0])["status"].to_list()
    assert history == ["recorded", "sending", "accepted"]


def test_a_shopify_push_sets_the_level_at_the_location(
    store: OpsStore, connectors: Connectors, world: World
) -> None:
    sku = _listed(world, "shopify", "WH-OSAKA").sort("sku")["sku"][0]
    before = world.listing_quantity("shopify", sku, "WH-OSAKA")
    new = (before or 0) + 7
    preview = preview_stock_push([("shopify", sku, "WH-OSAKA", new)])
    ids = record_stock_push(store, preview, **BUYER)

    report = dispatch(store, connectors)

    assert report.accepted == ids
    assert world.listing_quantity("shopify", sku, "WH-OSAKA") == new
    result = list_actions(store)["result"][0]
    assert f'"available":{new}' in result


def test_an_amazon_push_is_sent_and_an_fba_push_is_rejected_with_the_reason(
    store: OpsStore, connectors: Connectors, world: World
) -> None:
    with world.lock:
        sku = world.tables["skus"].filter(pl.col("asin").is_not_null()).sort("sku")["sku"][0]
    mfn, fba = record_stock_push(
        store, [("amazon", sku, "WH-TOKYO", 3), ("amazon", sku, "FBA-JP", 3)], **BUYER
    )
    report = dispatch(store, connectors)
    assert report.accepted == [mfn] and report.rejected == [fba]
    reasons = dict(list_actions(store).select("action_id", "reason").iter_rows())
    assert "fulfilled by Amazon" in (reasons[fba] or "")


def test_an_unknown_rakuten_sku_is_rejected_and_the_rest_of_the_batch_goes_out(
    store: OpsStore, connectors: Connectors, world: World
) -> None:
    sku = _listed(world, "rakuten", "WH-TOKYO").sort("sku")["sku"][0]
    good, bad = record_stock_push(
        store, [("rakuten", sku, "WH-TOKYO", 4), ("rakuten", "NO-SUCH", "WH-TOKYO", 1)], **BUYER
    )
    report = dispatch(store, connectors)
    assert report.accepted == [good] and report.rejected == [bad]
    assert world.listing_quantity("rakuten", sku, "WH-TOKYO") == 4


def test_a_viewer_cannot_push_and_nothing_is_recorded(store: OpsStore) -> None:
    with pytest.raises(ActionRefusedError, match=r"viewer.*buyer"):
        record_stock_push(store, [("rakuten", "X", "WH-TOKYO", 0)], user="v", role="viewer")
    assert list_actions(store).is_empty()


def _order(world: World) -> tuple[str, str, list[PurchaseOrderLineInput]]:
    with world.lock:
        skus = (
            world.tables["skus"]
            .join(world.tables["products"].select("product_id", "supplier_id"), on="product_id")
            .sort("sku")
        )
    supplier_id = skus["supplier_id"][0]
    lines = [
        PurchaseOrderLineInput(row["sku"], int(row["moq"]), suggested_quantity=int(row["moq"]))
        for row in skus.filter(pl.col("supplier_id") == supplier_id).head(2).iter_rows(named=True)
    ]
    return supplier_id, "WH-TOKYO", lines


def _approved(store: OpsStore, world: World) -> str:
    supplier_id, ship_to, lines = _order(world)
    po_id = create_purchase_order_draft(
        store, supplier_id=supplier_id, ship_to_location_id=ship_to, lines=lines, **BUYER
    )
    approve_purchase_order(store, po_id, **BUYER)
    return po_id


def _supplier_orders(connectors: Connectors, reference: str) -> list[dict[str, Any]]:
    assert connectors.supplier is not None
    return [
        po
        for page in connectors.supplier.purchase_orders()
        for po in page
        if po.get("reference") == reference
    ]


def test_a_purchase_order_crashed_after_sending_is_placed_once(
    store: OpsStore, connectors: Connectors, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    po_id = _approved(store, world)
    action_id = send_purchase_order(store, po_id, **BUYER)
    before = world.tables["purchase_orders"]["po_id"].n_unique()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed between sending and recording")

    with monkeypatch.context() as patch:
        patch.setattr(dispatcher, "record_outcomes", crash)
        with pytest.raises(SystemExit):
            dispatch(store, connectors)
    assert list_actions(store)["status"].to_list() == ["sending"]
    # A fresh dispatcher leaves a recent "sending" alone: its owner may still be at work.
    assert dispatch(store, connectors).sent == 0

    report = dispatch(store, connectors, stale_after=timedelta(0))

    assert report.accepted == [action_id] and report.replayed == [action_id]
    assert world.tables["purchase_orders"]["po_id"].n_unique() == before + 1
    placed = _supplier_orders(connectors, po_id)
    assert len(placed) == 1  # it flows back as on-order through supplier_purchase_orders
    order = list_purchase_orders(store).row(0, named=True)
    assert order["status"] == "sent" and order["supplier_po_id"] == placed[0]["id"]
    assert order["send_status"] == "accepted"
    assert action_history(store, action_id)["status"].to_list() == [
        "recorded",
        "sending",
        "sending",
        "accepted",
    ]


def test_a_purchase_order_below_the_moq_is_rejected_with_the_suppliers_reason(
    store: OpsStore, connectors: Connectors, world: World
) -> None:
    supplier_id, ship_to, lines = _order(world)
    small = [PurchaseOrderLineInput(lines[0].sku, 1)]
    po_id = create_purchase_order_draft(
        store, supplier_id=supplier_id, ship_to_location_id=ship_to, lines=small, **BUYER
    )
    approve_purchase_order(store, po_id, **BUYER)
    action_id = send_purchase_order(store, po_id, **BUYER)
    report = dispatch(store, connectors, action_ids=[action_id])
    assert report.rejected == [action_id]
    order = list_purchase_orders(store).row(0, named=True)
    assert order["status"] == "rejected" and "lines[0].quantity" in order["send_reason"]


@pytest.mark.slow  # advancing the world trades a day: about ten seconds
def test_following_moves_a_sent_order_to_confirmed_after_the_world_advances(
    store: OpsStore, connectors: Connectors, world: World, sandbox: RunningSandbox
) -> None:
    po_id = _approved(store, world)
    send_purchase_order(store, po_id, **BUYER)
    dispatch(store, connectors)
    assert follow_purchase_orders(store, connectors).changed == {}

    supplier_po = list_purchase_orders(store)["supplier_po_id"][0]
    with world.lock:
        row = (
            world.tables["purchase_orders"]
            .filter(pl.col("po_id") == supplier_po)
            .row(0, named=True)
        )
    days = max(1, math.ceil((row["confirmed_at"] - world.now).total_seconds() / 86_400))
    url = f"{sandbox.urls['supplier']}/_sandbox/advance"
    advanced = httpx.post(url, json={"days": days}, timeout=120)
    assert advanced.status_code == 200

    report = follow_purchase_orders(store, connectors)

    assert report.changed == {po_id: "confirmed"}
    history = purchase_order_history(store, po_id)["status"].to_list()
    assert history == ["draft", "approved", "sending", "sent", "confirmed"]


@pytest.mark.usefixtures("landed_shop")  # the targets learn Shopify items from it
def test_dispatching_with_settings_opens_the_store_under_the_data_dir(
    pointed: Settings, world: World
) -> None:
    store = OpsStore.under(pointed.data_dir)
    sku = _listed(world, "shopify", "WH-TOKYO").sort("sku")["sku"][0]
    ids = record_stock_push(store, [("shopify", sku, "WH-TOKYO", 5)], **BUYER)
    report = dispatcher.dispatch_with_settings(pointed)
    assert report.accepted == ids
    assert world.listing_quantity("shopify", sku, "WH-TOKYO") == 5

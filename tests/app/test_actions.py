"""The two actions from the pages, against the sandbox simulators on 127.0.0.1: a purchase
order approved and sent reaches the supplier once; a stock push is recorded, sent and its
result shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from ichigen.ops import OpsStore
from ichigen.ops.purchase_orders import list_purchase_orders, purchase_order_history
from ichigen.ops.stock_pushes import list_stock_pushes
from ichigen.sandbox.simulators import http as simulator_http
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.simulators.supplier import SupplierApp
from tests.app.conftest import RunPage

pytestmark = pytest.mark.slow


@pytest.fixture
def pointed_at_sandbox(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """The app's actions go to the running simulators."""
    monkeypatch.setattr(simulator_http._Handler, "disable_nagle_algorithm", True)
    for name, url in sandbox.urls.items():
        monkeypatch.setenv(f"ICHIGEN_{name.upper()}_URL", url)
    monkeypatch.setenv("ICHIGEN_RATE_MULTIPLIER", "10")
    return sandbox


def test_a_buyer_approves_a_suggestion_and_the_supplier_receives_exactly_one_order(
    app_data_dir: Path, run_page: RunPage, pointed_at_sandbox: RunningSandbox
) -> None:
    at = run_page("reorder", app_data_dir, role="buyer", user="aiko")
    suggestions = at.data_editor[0].value
    first = suggestions.iloc[0]
    at.session_state["reorder_editor"] = {
        "edited_rows": {0: {"order": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="reorder_create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Created draft purchase order" in s.value for s in at.success)

    store = OpsStore.under(app_data_dir)
    orders = list_purchase_orders(store)
    assert orders.height == 1
    po = orders.row(0, named=True)
    assert (po["status"], po["supplier_id"], po["created_by"]) == (
        "draft",
        first["supplier_id"],
        "aiko",
    )
    assert po["units"] == first["quantity"]

    at.button(key="reorder_approve").click().run()
    at.button(key="reorder_send").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("accepted" in s.value for s in at.success), [i.value for i in at.info]

    supplier = pointed_at_sandbox.servers["supplier"].app
    assert isinstance(supplier, SupplierApp)
    assert list(supplier._references.values()) == [po["po_id"]]
    sent = list_purchase_orders(store).row(0, named=True)
    assert sent["status"] == "sent" and sent["supplier_po_id"]
    # sent once: the send button is now off, and the history says who did what
    assert at.button(key="reorder_send").disabled
    history = purchase_order_history(store, po["po_id"])
    assert history["status"].to_list()[:3] == ["draft", "approved", "sending"]
    assert set(history["user_name"].drop_nulls()) >= {"aiko"}


def test_a_viewer_cannot_create_push_or_approve(app_data_dir: Path, run_page: RunPage) -> None:
    reorder = run_page("reorder", app_data_dir, role="viewer")
    assert reorder.button(key="reorder_create").disabled
    inventory = run_page("inventory", app_data_dir, role="viewer")
    assert any("may look but not push stock" in w.value for w in inventory.warning)
    assert inventory.button(key="inventory_push_confirm").disabled


def test_a_buyer_previews_and_pushes_one_skus_stock_and_sees_each_channels_answer(
    app_data_dir: Path, run_page: RunPage, pointed_at_sandbox: RunningSandbox
) -> None:
    at = run_page("inventory", app_data_dir, role="buyer", user="aiko")
    at.radio(key="inventory_push_scope").set_value("Chosen SKUs").run()
    skus = at.multiselect(key="inventory_push_skus").options
    at.multiselect(key="inventory_push_skus").set_value([skus[0]]).run()
    at.multiselect(key="inventory_push_channels").set_value(["rakuten", "shopify"]).run()
    summary = next(d.value for d in at.dataframe if "units_after" in d.value.columns)
    assert set(summary["channel"]) <= {"rakuten", "shopify"} and not summary.empty
    listings = int(summary["listings"].sum())

    at.button(key="inventory_push_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"Recorded {listings:,} push" in s.value for s in at.success)

    pushes = list_stock_pushes(OpsStore.under(app_data_dir))
    assert pushes.height == listings
    assert set(pushes["sku"]) == {skus[0]}
    assert set(pushes["user_name"]) == {"aiko"}
    # every push has had its answer recorded: none is left waiting in the outbox
    assert not set(pushes["status"]) & {"recorded", "sending"}, pushes
    assert "accepted" in set(pushes["status"])

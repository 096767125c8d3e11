"""Amazon's documented responses (tests/fixtures/amazon/), landed through the real connector.

The Amazon simulator serves a `DocumentedAccount` built from the fixtures in place of its
world's orders: Login with Amazon, the Restricted Data Token, the rate limits and the paging are
the simulator's own, and the Dagster ingest assets pull orders (with their items), refunds and
FBA stock as they would from a real seller account. The account's clock is fixed, so that which
refunds lie beyond Amazon's 180-day window does not depend on the day the tests run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from ichigen.orchestration.ingest_run import run_ingest
from ichigen.sandbox.simulators.amazon import AmazonApp, DocumentedAccount, empty_world
from ichigen.sandbox.simulators.http import SimulatorServer
from ichigen.settings import load_settings

__all__ = ["FIXTURES", "NOW", "account", "land"]

FIXTURES: Final = Path(__file__).resolve().parents[2] / "fixtures" / "amazon"
# Amazon's "now" for the documented account: the refund of 2026-05-28 is 187 days before it,
# beyond the 180 days one Finances query may span.
NOW: Final = datetime(2026, 12, 1, tzinfo=UTC)


def _read(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def account() -> DocumentedAccount:
    """The documented records, each from the fixture file named beside it."""
    jp_order = _read("derived/getOrder_903-1671087-0812628_jp.json")["payload"]
    items = _read("ordersV0_getOrderItems_example.json")["payload"]
    listed = _read("ordersV0_getOrders_example.json")["payload"]["Orders"]
    refunds = _read("derived/listFinancialEvents_refund_903-1671087-0812628.json")
    summaries = _read("fbaInventory_getInventorySummaries_sandbox.json")["payload"]
    return DocumentedAccount(
        now=NOW,
        orders=[jp_order, *listed],
        # the published items example belongs to 903-1671087-0812628; the published getOrders
        # example's order comes with no documented items
        order_items={items["AmazonOrderId"]: items["OrderItems"]},
        refund_events=refunds["payload"]["FinancialEvents"]["RefundEventList"],
        inventory_summaries=summaries["inventorySummaries"],
    )


def land(data_dir: Path) -> None:
    app = AmazonApp(empty_world(NOW), documented=account())
    server = SimulatorServer(app).start()
    try:
        env = {"ICHIGEN_DATA_DIR": str(data_dir), "ICHIGEN_AMAZON_URL": server.base_url}
        outcomes = run_ingest(load_settings(env, dotenv=False), channel="amazon")
    finally:
        server.stop()
    failed = [o.describe() for o in outcomes if not o.success]
    assert not failed, f"the documented Amazon account did not land: {failed}"

"""Shopify's documented orders and locations, landed by the real connector over a socket.

The simulator serves the bodies of tests/fixtures/shopify/ (orders.json, derived from the
published examples by derive.py, and the published locations.json) in place of its world's,
keeping its access token, call-limit bucket and paging; the Dagster ingest assets of the Shopify
channel pull them into `data_dir`'s landing zone exactly as they would pull a real shop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ichigen.orchestration.ingest_run import run_ingest
from ichigen.sandbox.simulators.http import SimulatorServer
from ichigen.sandbox.simulators.shopify.app import ShopifyApp
from ichigen.sandbox.simulators.shopify.documented import DocumentedShop, empty_world
from ichigen.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shopify"
# the six documented orders in two pages: the connector follows Shopify's Link header
PAGE_SIZE = 4


def _read(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def documented_shop() -> DocumentedShop:
    return DocumentedShop(
        orders=_read("orders.json")["orders"],
        locations=_read("published/locations_list_2024-10_test_1.json")["locations"],
        page_size=PAGE_SIZE,
    )


def land(data_dir: Path) -> None:
    app = ShopifyApp(empty_world(), documented=documented_shop())
    server = SimulatorServer(app).start()
    try:
        settings = load_settings(
            {"ICHIGEN_DATA_DIR": str(data_dir), "ICHIGEN_SHOPIFY_URL": server.base_url},
            dotenv=False,
        )
        outcomes = run_ingest(settings, channel="shopify")
    finally:
        server.stop()
    failed = [outcome.asset for outcome in outcomes if not outcome.success]
    assert not failed, f"Shopify's documented responses did not land: {failed}"

"""Shopify's documented orders (tests/fixtures/shopify/), landed and built: the marts' money,
payment, location, fulfilment and refunds equal the documented values.

The cases are Shopify's REST 2024-10 examples as its Ruby library's tests carry them, made a
yen shop whose buyer paid in US dollars (tests/fixtures/shopify/README.md): every shop_money
amount is the published dollar amount times 100, every presentment amount and transaction the
published dollars. So "59894" below is the published "598.94" of the shop's money; a figure
read from presentment money or a transaction would be the dollars ("209.00" -> 209).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.documented.conftest import DocumentedWarehouse
from tests.fixtures.shopify.derive import documented_orders

ORDERS_JSON = Path(__file__).resolve().parents[1] / "fixtures" / "shopify" / "orders.json"

# the yen #1001 (location_id null, payment_gateway_names ["bogus"], a failed fulfillment)
FAILED_FULFILLMENT = "shopify:450789469"
PARTIALLY_FULFILLED = "shopify:450789470"
CUSTOM_ITEMS = "shopify:1073459962"
SHIPPING_ONLY_REFUND = "shopify:1073459978"
REFUND_DISCREPANCY = "shopify:450789471"
DOLLAR_SHOP_ID = "450789472"


def _rows(warehouse: DocumentedWarehouse, sql: str) -> list[dict[str, Any]]:
    """Rows of `sql` over the built warehouse, by column name (the marts the snapshot copies;
    read from the warehouse so that a later asset of the build cannot hide them)."""
    with duckdb.connect(str(warehouse.settings.paths.warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def orders(documented_warehouse: DocumentedWarehouse) -> dict[str, dict[str, Any]]:
    rows = _rows(documented_warehouse, "select * from marts.fct_orders where channel = 'shopify'")
    return {row["order_key"]: row for row in rows}


@pytest.fixture(scope="module")
def lines(documented_warehouse: DocumentedWarehouse) -> dict[str, dict[str, Any]]:
    rows = _rows(
        documented_warehouse, "select * from marts.fct_order_lines where channel = 'shopify'"
    )
    return {row["order_line_key"]: row for row in rows}


def test_the_served_orders_are_what_derive_makes_of_the_published_examples() -> None:
    served = json.loads(ORDERS_JSON.read_text(encoding="utf-8"))["orders"]
    assert served == documented_orders(), "run tests/fixtures/shopify/derive.py"


def test_the_warehouse_builds_over_shopifys_documented_orders(
    documented_warehouse: DocumentedWarehouse,
) -> None:
    # dbt built every model and passed every test; what may fail after it is the forecast,
    # which has no demand to forecast when no documented SKU is in the supplier catalogue
    failures = [
        failure
        for failure in documented_warehouse.build.failures
        if not failure.startswith("demand_forecasts: fct_demand_daily is empty")
    ]
    assert failures == []


def test_every_documented_yen_order_lands_and_the_dollar_shop_is_quarantined_with_its_reason(
    documented_warehouse: DocumentedWarehouse, orders: dict[str, dict[str, Any]]
) -> None:
    assert {
        FAILED_FULFILLMENT,
        PARTIALLY_FULFILLED,
        CUSTOM_ITEMS,
        SHIPPING_ONLY_REFUND,
        REFUND_DISCREPANCY,
    } <= set(orders)
    quarantined = _rows(
        documented_warehouse,
        "select record_key, reasons from marts.fct_quarantined_records"
        " where channel = 'shopify' and entity = 'orders'",
    )
    assert [row["record_key"] for row in quarantined] == [DOLLAR_SHOP_ID]
    assert "column=currency" in quarantined[0]["reasons"]
    assert "got 'USD'" in quarantined[0]["reasons"]


def test_a_web_order_without_location_gets_the_configured_web_location(
    orders: dict[str, dict[str, Any]],
) -> None:
    # location_id null and only a failed fulfillment: ICHIGEN_SHOPIFY_WEB_LOCATION's default
    order = orders[FAILED_FULFILLMENT]
    assert order["location_id"] == "WH-TOKYO"
    assert order["data_flag"] is None or "unknown_location" not in order["data_flag"]


def test_a_location_number_ichigen_does_not_map_stays_visible_and_flagged(
    orders: dict[str, dict[str, Any]],
) -> None:
    # shipped from 487838322 "Fifth Avenue AppleStore" (landed, not in inventory_locations.csv)
    order = orders[SHIPPING_ONLY_REFUND]
    assert order["location_id"] == "shopify:487838322"
    assert "unknown_location" in order["data_flag"]


def test_the_money_of_the_documented_order_is_its_shop_money(
    orders: dict[str, dict[str, Any]],
) -> None:
    order = orders[FAILED_FULFILLMENT]
    # published: total_line_items_price 597.00, total_discounts 10.00 (TENOFF), total_tax
    # 11.94, no shipping, total_price 598.94 = 597.00 - 10.00 + 11.94
    assert order["subtotal_jpy"] == 59700
    assert order["discount_jpy"] == 1000
    assert order["tax_jpy"] == 1194
    assert order["shipping_jpy"] == 0
    assert order["total_jpy"] == 59700 - 1000 + 1194 == 59894
    assert order["currency"] == "JPY"


def test_payment_comes_from_payment_gateway_names(orders: dict[str, dict[str, Any]]) -> None:
    order = orders[FAILED_FULFILLMENT]
    # 2024-10 has no `gateway`: payment_gateway_names ["bogus"]; partially_refunded is paid,
    # captured at checkout, so paid when processed (processed_at 2008-01-10T11:00:00-05:00)
    assert order["payment_method"] == "bogus"
    assert order["is_paid"]
    assert order["paid_at"].isoformat().startswith("2008-01-10T16:00:00")


def test_a_failed_fulfillment_ships_nothing(orders: dict[str, dict[str, Any]]) -> None:
    order = orders[FAILED_FULFILLMENT]
    assert order["fulfilment_status"] == "unfulfilled"
    assert order["shipped_at"] is None
    assert order["is_open"]


def test_a_fulfillment_of_some_lines_leaves_the_order_partially_fulfilled_and_open(
    orders: dict[str, dict[str, Any]],
) -> None:
    # a failed fulfillment of line 466157049 and a successful one of line 518995019 of 3 lines
    order = orders[PARTIALLY_FULFILLED]
    assert order["fulfilment_status"] == "partially_fulfilled"
    assert order["shipped_at"] is None
    assert order["is_open"]
    assert order["order_status"] not in ("shipped", "delivered")


def test_a_fulfilled_order_is_shipped(orders: dict[str, dict[str, Any]]) -> None:
    order = orders[SHIPPING_ONLY_REFUND]
    assert order["fulfilment_status"] == "fulfilled"
    assert order["order_status"] == "shipped"
    assert order["shipped_at"].isoformat().startswith("2024-10-02T14:04:38")


def test_refund_lines_are_read_in_shop_money_never_as_the_presentment_transaction(
    orders: dict[str, dict[str, Any]],
) -> None:
    order = orders[FAILED_FULFILLMENT]
    # two refund lines: subtotal 195.66 + tax 3.98 and 195.67 + tax 3.98 (prices exclude tax);
    # the refund's transaction says 209.00 in the buyer's USD, which must not become 209 yen
    refunded = (19566 + 398) + (19567 + 398)
    assert order["refunded_jpy"] == refunded == 39929
    assert order["returned_jpy"] == refunded
    assert order["net_jpy"] == 59894 - 39929


def test_a_refund_of_shipping_only_is_kept(orders: dict[str, dict[str, Any]]) -> None:
    order = orders[SHIPPING_ONLY_REFUND]
    # no refund lines; order_adjustments: shipping_refund amount -5.00 -> 500 refunded, no return
    assert order["refunded_jpy"] == 500
    assert order["returned_jpy"] == 0


def test_a_refund_discrepancy_adjustment_takes_off_what_was_not_paid_back(
    orders: dict[str, dict[str, Any]],
) -> None:
    order = orders[REFUND_DISCREPANCY]
    # a line worth 195.66 + 3.98 tax, refund_discrepancy 89.64: 199.64 - 89.64 = 110.00, the
    # two transactions' 10.00 + 100.00 (in USD, not read)
    assert order["refunded_jpy"] == (19566 + 398) - 8964 == 11000


def test_lines_without_sku_are_kept_as_non_stock_lines(
    orders: dict[str, dict[str, Any]], lines: dict[str, dict[str, Any]]
) -> None:
    custom = {key: line for key, line in lines.items() if key.startswith(CUSTOM_ITEMS + ":")}
    # Red Leather Coat 129.99, Blue Suede Shoes 85.95, Raspberry Beret 19.99 x 2; no SKUs
    assert sorted((line["unit_price_jpy"], line["quantity"]) for line in custom.values()) == [
        (1999, 2),
        (8595, 1),
        (12999, 1),
    ]
    assert all(line["sku"] is None and not line["is_stock_line"] for line in custom.values())
    assert all(line["data_flag"] is None for line in custom.values()), "not an unknown SKU"
    # state and county tax on two lines: 7.81 + 3.26 and 2.39 + 0.99 = the order's 14.45
    assert sum(line["tax_jpy"] for line in custom.values()) == 781 + 326 + 239 + 99 == 1445
    order = orders[CUSTOM_ITEMS]
    assert order["subtotal_jpy"] == 12999 + 8595 + 2 * 1999 == 25592
    assert order["total_jpy"] == 25592 + 1445 == 27037
    assert order["units"] == 0, "no units of stock"
    assert order["order_status"] != "awaiting_stock"

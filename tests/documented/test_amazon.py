"""Amazon's documented responses, landed through the real connector and built (one session build).

The cases and their sources are in tests/fixtures/amazon/README.md. Amounts are asserted as the
documented arithmetic on the published figures: Amazon's examples carry cents even in yen
("25.99" JPY), and the warehouse keeps whole yen, each published amount rounded once.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import polars as pl
import pytest

from tests.documented.conftest import DocumentedWarehouse

pytestmark = pytest.mark.usefixtures("documented_warehouse")

JP_ORDER = "amazon:903-1671087-0812628"


def yen(amount: str) -> int:
    """A published amount in whole yen, as staging rounds it (DuckDB rounds half away from 0)."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_the_documented_amazon_account_builds(documented_warehouse: DocumentedWarehouse) -> None:
    assert documented_warehouse.build.success, documented_warehouse.build


def test_money_amazon_leaves_out_reads_as_zero_and_cod_is_its_own_amount(
    documented_warehouse: DocumentedWarehouse,
) -> None:
    # getOrderItems example: ItemPrice 25.99 + 17.95, ShippingPrice 1.26 on the first item only,
    # CODFee 10.00 less CODFeeDiscount 1.00; no ItemTax, ShippingTax or PromotionDiscount at all
    (row,) = documented_warehouse.query(
        "select subtotal_jpy, discount_jpy, shipping_jpy, tax_jpy, cod_fee_jpy, total_jpy,"
        " points_jpy, channel_funded_discount_jpy, payment_method, channel_status,"
        " coalesce(data_flag, '') from fct_orders where order_key = ?",
        JP_ORDER,
    )
    subtotal = yen("25.99") + yen("17.95")
    cod_fee = yen("10.00") - yen("1.00")
    # the COD fee is kept apart from the order's value (total_jpy) on every channel
    assert row[:8] == (subtotal, 0, yen("1.26"), 0, cod_fee, yen("54.20") - cod_fee, 0, 0)
    assert subtotal + yen("1.26") + cod_fee == yen("54.20")  # the derived OrderTotal adds up
    assert row[8:10] == ("cod", "PartiallyShipped")
    assert "lines_do_not_add_up" not in row[10]


def test_each_documented_item_is_a_line_with_its_total_and_a_known_tax(
    documented_warehouse: DocumentedWarehouse,
) -> None:
    lines = documented_warehouse.query(
        "select sku, quantity, line_total_jpy, tax_jpy from fct_order_lines"
        " where order_key = ? order by sku",
        JP_ORDER,
    )
    assert lines == [("CBA_OTF_1", 1, yen("25.99"), 0), ("CBA_OTF_5", 2, yen("17.95"), 0)]


def test_a_restocking_fee_is_kept_out_of_the_refund_not_a_reason_to_quarantine_it(
    documented_warehouse: DocumentedWarehouse,
) -> None:
    # Principal -23.63 and Tax -2.36 go back to the buyer; RestockingFee +5.00 stays with the
    # seller. The event is 187 days before Amazon's "now": beyond one Finances window.
    refund = round(Decimal("23.63") + Decimal("2.36") - Decimal("5.00"))
    (order,) = documented_warehouse.query(
        "select refunded_jpy, net_jpy from fct_orders where order_key = ?", JP_ORDER
    )
    # net of the order's value, which leaves the COD fee (10.00 - 1.00) apart
    assert order == (refund, yen("54.20") - (yen("10.00") - yen("1.00")) - refund)
    returns = documented_warehouse.query(
        "select sku, quantity, refund_jpy from fct_returns where order_key = ?", JP_ORDER
    )
    assert returns == [("CBA_OTF_1", 1, refund)]


def test_two_seller_skus_sharing_an_fnsku_are_both_listed(
    documented_warehouse: DocumentedWarehouse,
) -> None:
    # fbaInventory's sandbox example: "EMTEC 1 GB" and "EMTEC-SdCard-reader" share B0020MLK00
    warehouse = documented_warehouse.settings.paths.warehouse
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select sku, listed_quantity from intermediate.int_channel_listings"
            " where channel = 'amazon' order by sku"
        ).fetchall()
    assert rows == [("EMTEC 1 GB", 0), ("EMTEC-SdCard-reader", 0), ("Silicon Power 32GB", 66)]


def test_buyer_data_came_with_a_restricted_data_token_and_an_order_without_items_is_kept(
    documented_warehouse: DocumentedWarehouse,
) -> None:
    landing = documented_warehouse.settings.paths.landing / "amazon" / "orders"
    landed = pl.read_parquet(landing / "*.parquet")
    (raw,) = landed.filter(pl.col("_record_key") == "903-1671087-0812628")["_raw"]
    order = json.loads(raw)
    # the fields only an RDT for buyerInfo and shippingAddress opens
    assert order["BuyerInfo"]["BuyerEmail"] == "5m8x2k9q7w3v1z@marketplace.amazon.co.jp"
    assert order["ShippingAddress"]["AddressLine1"] == "神南1-2-3"
    # getOrders' published example order comes without documented items: quarantined, not lost
    quarantine = documented_warehouse.settings.paths.quarantine / "amazon" / "orders"
    (reasons,) = pl.read_parquet(quarantine / "*.parquet").filter(
        pl.col("_record_key") == "902-3159896-1390916"
    )["_reasons"]
    assert any("sku" in reason for reason in reasons)

"""RMS's documented getOrder answers (tests/fixtures/rakuten/, sources in its README) in the marts.

Each expected amount is the documented value, or the reference's arithmetic on the documented
values written out. total_jpy is what the shop is paid for goods and postage: goodsPrice +
postagePrice - couponShopPrice (points and Rakuten's coupons are paid to the shop by Rakuten;
the COD fee is apart).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.documented.conftest import DocumentedWarehouse

SAMPLE = "123456-20230417-0207814266"  # the getOrderItem reference's sample, as published
COD = "123456-20230417-0207814267"
TWO_PACKAGES = "123456-20230417-0207814268"
RETURNED = "123456-20230417-0207814269"  # landed before and after a partial return
UNOBSERVED = "123456-20230417-0207814270"  # first landed after its partial return
TWO_RATES = "123456-20230417-0207814271"
NOT_DETERMINED = "123456-20230417-0207814272"  # postage and totals still -9999
ITEM_COUPON = "123456-20230417-0207814273"  # a shop coupon of one item beside one of the order

_ORDER_COLUMNS = (
    "subtotal_jpy",
    "discount_jpy",
    "shipping_jpy",
    "tax_jpy",
    "total_jpy",
    "points_jpy",
    "channel_funded_discount_jpy",
    "cod_fee_jpy",
    "refunded_jpy",
    "returned_jpy",
    "payment_method",
    "has_unobserved_returns",
    "order_status",
    "units",
    "returned_units",
    "is_amount_known",
)


class _Marts:
    """The built warehouse's marts. Read from the warehouse, not the snapshot: documented
    orders alone leave fct_demand_daily empty (their SKUs are in no catalogue), so the
    forecasting step after dbt fails and nothing is published."""

    def __init__(self, documented: DocumentedWarehouse) -> None:
        self.path = documented.settings.paths.warehouse

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            con.execute("set schema = 'marts'")
            return con.execute(sql, list(params)).fetchall()


def _order(warehouse: _Marts, number: str) -> dict[str, Any]:
    rows = warehouse.query(
        f"select {', '.join(_ORDER_COLUMNS)} from fct_orders "
        "where channel = 'rakuten' and channel_order_id = ?",
        number,
    )
    assert len(rows) == 1, f"{number}: {len(rows)} rows in fct_orders"
    return dict(zip(_ORDER_COLUMNS, rows[0], strict=True))


@pytest.fixture(scope="module")
def warehouse(documented_warehouse: DocumentedWarehouse) -> _Marts:
    build = documented_warehouse.build
    # dbt built every model and passed every test; only forecasting may have failed (above)
    others = [f for f in build.failures if not f.startswith("demand_forecasts:")]
    assert build.success or not others, build.error
    return _Marts(documented_warehouse)


def test_the_published_sample_is_paid_its_coupon_less_and_taxed_as_rms_says(
    warehouse: _Marts,
) -> None:
    order = _order(warehouse, SAMPLE)
    # goodsPrice 9150, postagePrice 0, couponShopPrice 915, usedPoint 10, reqPriceTax 749
    assert order["subtotal_jpy"] == 9150
    assert order["discount_jpy"] == 915
    assert order["shipping_jpy"] == 0
    assert order["total_jpy"] == 9150 - 915 == 8235
    # the buyer paid requestPrice 8225 = 8235 - 10 points: the points are still the shop's
    assert order["points_jpy"] == 10
    assert order["total_jpy"] - order["points_jpy"] == 8225
    assert order["tax_jpy"] == 749  # not 8225 * 10 // 110 = 747
    assert order["channel_funded_discount_jpy"] == order["cod_fee_jpy"] == 0
    assert order["payment_method"] == "credit_card"
    assert order["order_status"] != "cancelled" and order["refunded_jpy"] == 0
    lines = warehouse.query(
        "select sku, quantity, unit_price_jpy, discount_jpy, line_total_jpy from fct_order_lines "
        "where order_key = ? order by line_number",
        f"rakuten:{SAMPLE}",
    )
    # the third item has no merchantDefinedSkuId: its itemNumber is the SKU
    assert [line[0] for line in lines] == ["c3ps390M090", "s1gr050sz8H", "tst1234"]
    # the shop coupon spread over the lines by value: 915 * price // 9150
    assert [line[3] for line in lines] == [120, 660, 135]
    assert sum(line[4] for line in lines) == order["total_jpy"]


def test_a_rakuten_funded_coupon_is_the_shops_revenue_and_the_cod_fee_is_not_shipping(
    warehouse: _Marts,
) -> None:
    order = _order(warehouse, COD)
    # couponShopPrice 915 (capital code 1), couponOtherPrice 500 (code 3), paymentCharge 330
    assert order["discount_jpy"] == 915
    assert order["channel_funded_discount_jpy"] == 500
    assert order["total_jpy"] == 9150 - 915 == 8235
    assert order["cod_fee_jpy"] == 330
    assert order["shipping_jpy"] == 0
    assert order["payment_method"] == "cod"
    # requestPrice 8065 = what the buyer pays = total - Rakuten's coupon - points + COD fee
    total = order["total_jpy"]
    assert total - order["channel_funded_discount_jpy"] - order["points_jpy"] + 330 == 8065
    assert order["tax_jpy"] == 733


def test_an_order_to_two_addresses_keeps_every_package_its_lines_and_postage(
    warehouse: _Marts,
) -> None:
    order = _order(warehouse, TWO_PACKAGES)
    assert order["subtotal_jpy"] == 9150
    assert order["shipping_jpy"] == 0 + 660
    assert order["total_jpy"] == 9150 - 915 + 660
    assert order["tax_jpy"] == 809
    assert order["units"] == 3
    lines = warehouse.query(
        "select sku from fct_order_lines where order_key = ? order by line_number",
        f"rakuten:{TWO_PACKAGES}",
    )
    # two items in the first package, the socks in the second
    assert [line[0] for line in lines] == ["c3ps390M090", "s1gr050sz8H", "tst1234"]


def test_tax_is_the_sum_of_rms_tax_per_rate(warehouse: _Marts) -> None:
    order = _order(warehouse, TWO_RATES)
    assert order["tax_jpy"] == 749 + 40  # reqPriceTax at 10% and at 8%
    assert order["total_jpy"] == 9690 - 915


def test_a_partial_return_seen_before_and_after_keeps_what_was_ordered_and_refunds_the_rest(
    warehouse: _Marts,
) -> None:
    order = _order(warehouse, RETURNED)
    # first pull: goods 10350, coupon 1035; second: goods 9150, coupon 915
    assert order["subtotal_jpy"] == 10350
    assert order["discount_jpy"] == 1035
    assert order["total_jpy"] == 10350 - 1035
    assert order["tax_jpy"] == 847  # as ordered
    assert order["returned_jpy"] == order["refunded_jpy"] == (10350 - 1035) - (9150 - 915)
    assert order["units"] == 4 and order["returned_units"] == 1
    assert order["has_unobserved_returns"] is False
    returns = warehouse.query(
        "select sku, quantity, refund_jpy from fct_returns where order_key = ?",
        f"rakuten:{RETURNED}",
    )
    assert returns == [("c3ps390M090", 1, 1080)]


def test_a_partial_return_rms_rewrote_before_the_first_pull_is_flagged_not_guessed(
    warehouse: _Marts,
) -> None:
    order = _order(warehouse, UNOBSERVED)
    assert order["has_unobserved_returns"] is True
    # what RMS shows now, nothing more: the returned T-shirt is unknown
    assert order["total_jpy"] == 9150 - 915
    assert order["refunded_jpy"] == 0 and order["units"] == 3


def test_an_order_whose_postage_rms_has_not_determined_is_kept_without_amounts(
    warehouse: _Marts,
) -> None:
    order = _order(warehouse, NOT_DETERMINED)
    # -9999 is RMS's "not determined yet": no total, no tax, and no refund made up from it
    assert order["is_amount_known"] is False
    assert order["total_jpy"] is None and order["tax_jpy"] is None
    assert order["subtotal_jpy"] == 9150 and order["refunded_jpy"] == 0
    quarantined = warehouse.query(
        "select count(*) from fct_quarantined_records where channel = 'rakuten'"
    )
    assert quarantined == [(0,)]


def test_a_coupon_of_one_item_discounts_its_line_and_the_order_coupon_is_spread(
    warehouse: _Marts,
) -> None:
    order = _order(warehouse, ITEM_COUPON)
    assert order["discount_jpy"] == 660 + 255 == 915
    lines = warehouse.query(
        "select sku, discount_jpy, tax_jpy from fct_order_lines where order_key = ? "
        "order by line_number",
        f"rakuten:{ITEM_COUPON}",
    )
    # 660 on the sneakers; 255 by value: 255 * price // 9150 = 33, 183, 37, remainder 2 first
    assert [line[1] for line in lines] == [33 + 2, 660 + 183, 37]
    # each line's tax at its rate: round((price - discount) * 10 / 110)
    assert [line[2] for line in lines] == [106, 523, 119]


def test_a_line_at_the_reduced_rate_is_taxed_at_8_percent(warehouse: _Marts) -> None:
    lines = warehouse.query(
        "select sku, discount_jpy, tax_jpy from fct_order_lines where order_key = ? "
        "and sku = 'tea0540'",
        f"rakuten:{TWO_RATES}",
    )
    # 915 * 540 // 9690 = 50 of the shop coupon; round((540 - 50) * 8 / 108) = 36
    assert lines == [("tea0540", 50, 36)]

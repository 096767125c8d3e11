"""A channel whose new data cannot be built keeps its last good state; the others go on.

A small landing zone of two channels, landed as ingestion lands them (the Shopify orders through
the landing writer, a wholesale sheet through its importer), is built with `oms build`'s own
run. Then the Shopify connector lands an order whose ``line_items`` is an object (the GraphQL
connection shape, ``{"edges": [...]}``, where the REST staging reads an array: the cast
stg_shopify__order_lines makes cannot take it) beside a good one, and a buyer sends a new sheet.
The build holds Shopify back: the new sheet is in the snapshot, Shopify's marts are as they were,
the completeness mart and the Overview say it is held and why, and the outcome is not complete.
A corrected load of the order (REST shape) then builds: everything is current, the order landed
in the same load as the broken one included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from ichigen.ingestion.files import import_wholesale
from ichigen.ingestion.landing import LandingZone
from ichigen.orchestration.build_run import BuildOutcome, run_build
from ichigen.orchestration.held_channels import ChannelStates
from ichigen.settings import Settings, load_settings
from tests.app.conftest import APP_DIR, TIMEOUT_S

# three builds of the whole project over a few orders
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SKU = "P0001-BLK-M"


def _shopify_order(order_id: int, at: datetime, *, graphql_lines: bool = False) -> dict[str, Any]:
    """A Shopify REST order (Admin API orders.json) with one line."""
    line = {
        "id": order_id * 10 + 1,
        "sku": SKU,
        "quantity": 2,
        "current_quantity": 2,
        "price": "3300.00",
        "total_discount": "0.00",
        "tax_lines": [{"price": "600.00", "rate": 0.1, "title": "JCT"}],
    }
    return {
        "id": order_id,
        "name": f"#{order_id}",
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "currency": "JPY",
        "financial_status": "paid",
        "fulfillment_status": None,
        "gateway": "shopify_payments",
        "location_id": 61023485123,
        "subtotal_price": "6600.00",
        "total_line_items_price": "6600.00",
        "total_discounts": "0.00",
        "total_tax": "600.00",
        "total_price": "6600.00",
        "total_outstanding": "0.00",
        "total_shipping_price_set": {"shop_money": {"amount": "0.00", "currency_code": "JPY"}},
        "line_items": {"edges": [{"node": line}]} if graphql_lines else [line],
        "refunds": [],
        "fulfillments": [],
    }


def _land_shopify(paths_settings: Settings, orders: list[dict[str, Any]]) -> None:
    zone = LandingZone.under(paths_settings.paths)
    with zone.open_load("shopify", "orders", source="http://127.0.0.1/orders.json") as load:
        load.add(
            orders,
            key=lambda order: str(order["id"]),
            updated_at=lambda order: datetime.fromisoformat(order["updated_at"]),
        )
        load.commit()


def _land_catalogue(settings: Settings) -> None:
    """The supplier and its catalogue of the one SKU sold: demand counts only known SKUs."""
    zone = LandingZone.under(settings.paths)
    with zone.open_load("supplier", "suppliers", source="http://127.0.0.1/suppliers") as load:
        load.add(
            [{"supplier_id": "SUP-HELD", "name": "Held Textiles", "lead_time_days": 7}],
            key=lambda row: str(row["supplier_id"]),
        )
        load.commit()
    with zone.open_load("supplier", "catalogue", source="http://127.0.0.1/catalogue") as load:
        load.add(
            [
                {
                    "supplier_id": "SUP-HELD",
                    "sku": SKU,
                    "product_id": "P0001",
                    "title": "Tee",
                    "unit_cost_jpy": 1200,
                    "moq": 1,
                    "case_pack": 1,
                    "lead_time_days": 7,
                }
            ],
            key=lambda row: f"{row['supplier_id']}:{row['sku']}",
        )
        load.commit()


def _land_sheet(settings: Settings, order_no: str, day: datetime) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows(
        [
            ["order_no", "order_date", "delivery_date", "sku", "qty", "unit_price"],
            [
                order_no,
                f"{day:%Y%m%d}",
                f"{day + timedelta(days=7):%Y%m%d}",
                SKU,
                "12",
                "1650",
            ],
        ]
    )
    drops = settings.data_dir / "drops" / "wholesale"
    (drops / "WB-HELD").mkdir(parents=True, exist_ok=True)
    (drops / "WB-HELD" / f"{order_no}.csv").write_text(text.getvalue(), "utf-8")
    result = import_wholesale(drops, LandingZone.under(settings.paths))
    assert result.errors == [] and result.manifest is not None, result.errors


@dataclass(frozen=True)
class Builds:
    settings: Settings
    good: BuildOutcome
    held: BuildOutcome
    held_orders: dict[str, int]
    held_completeness: list[dict[str, Any]]
    good_through: datetime
    fixed: BuildOutcome
    fixed_orders: dict[str, int]
    fixed_completeness: list[dict[str, Any]]
    fixed_states: ChannelStates
    overview_data: Path


def _orders(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.paths.snapshot), read_only=True) as con:
        return dict(con.execute("select order_key, total_jpy from fct_orders").fetchall())


def _completeness(settings: Settings) -> list[dict[str, Any]]:
    with duckdb.connect(str(settings.paths.snapshot), read_only=True) as con:
        con.execute("set time zone 'UTC'")
        cursor = con.execute("select * from fct_channel_completeness order by channel, entity")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    data_dir = tmp_path_factory.mktemp("held") / "data"
    settings = load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False)
    _land_catalogue(settings)
    _land_shopify(settings, [_shopify_order(1001, DAY)])
    _land_sheet(settings, "PO-1", DAY)
    good = run_build(settings)
    assert good.complete, good.failures or good.held
    good_through = ChannelStates.read(settings.paths.channel_states).good_through["shopify"]
    # the next pull: an order in the GraphQL shape beside a good one; a new sheet
    _land_shopify(
        settings,
        [
            _shopify_order(1002, DAY + timedelta(days=1)),
            _shopify_order(1003, DAY + timedelta(days=1), graphql_lines=True),
        ],
    )
    _land_sheet(settings, "PO-2", DAY + timedelta(days=1))
    held = run_build(settings)
    held_orders, held_completeness = _orders(settings), _completeness(settings)
    # the app's view of the held snapshot, kept apart from the next build's
    overview_data = tmp_path_factory.mktemp("held_snapshot") / "data"
    (overview_data / "serving").mkdir(parents=True)
    (overview_data / "serving" / "current.duckdb").write_bytes(settings.paths.snapshot.read_bytes())
    # the connector fixed: the order pulled again in the REST shape
    _land_shopify(settings, [_shopify_order(1003, DAY + timedelta(days=1, hours=1))])
    fixed = run_build(settings)
    yield Builds(
        settings=settings,
        good=good,
        held=held,
        held_orders=held_orders,
        held_completeness=held_completeness,
        good_through=good_through,
        fixed=fixed,
        fixed_orders=_orders(settings),
        fixed_completeness=_completeness(settings),
        fixed_states=ChannelStates.read(settings.paths.channel_states),
        overview_data=overview_data,
    )


def test_the_other_channels_new_data_is_published_and_the_held_channel_keeps_its_last_good_state(
    builds: Builds,
) -> None:
    held = builds.held
    assert held.success and held.snapshot is not None, held.failures
    assert not held.complete
    [shopify] = held.held
    assert shopify.channel == "shopify" and shopify.as_of == builds.good_through
    assert "stg_shopify__order_lines" in shopify.reason
    assert "Expected ARRAY" in shopify.reason
    # the new sheet is there; Shopify is as the first build left it (its good order of the
    # broken load too: a load is held back whole)
    assert set(builds.held_orders) == {"shopify:1001", "wholesale:PO-1", "wholesale:PO-2"}


def test_the_completeness_mart_says_which_channel_is_held_since_when_and_why(
    builds: Builds,
) -> None:
    rows = {(r["channel"], r["entity"]): r for r in builds.held_completeness}
    shopify = rows[("shopify", "orders")]
    assert shopify["is_held"] is True
    assert shopify["held_as_of"] == builds.good_through
    assert "Expected ARRAY" in shopify["held_reason"]
    assert shopify["held_since"] > builds.good_through
    wholesale = rows[("wholesale", "order_lines")]
    assert wholesale["is_held"] is False and wholesale["held_reason"] is None


def test_the_overview_warns_that_the_channel_shows_its_last_good_state(
    builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICHIGEN_DATA_DIR", str(builds.overview_data))
    monkeypatch.setattr("ichigen.settings.load_dotenv", lambda **_: False)
    at = AppTest.from_file(str(APP_DIR / "views" / "overview.py"), default_timeout=TIMEOUT_S)
    at.session_state["role"] = "viewer"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [warning] = [w.value for w in at.warning if "held back" in w.value]
    assert "**shopify**: new data could not be built; showing its last good state from" in warning
    assert "Expected ARRAY" in warning
    assert "wholesale" not in warning


def test_after_a_corrected_load_every_channel_is_current_again(builds: Builds) -> None:
    fixed = builds.fixed
    assert fixed.complete, fixed.failures or fixed.held
    assert set(builds.fixed_orders) == {
        "shopify:1001",
        "shopify:1002",  # landed with the broken order, read once the channel builds
        "shopify:1003",
        "wholesale:PO-1",
        "wholesale:PO-2",
    }
    assert not any(r["is_held"] for r in builds.fixed_completeness)
    assert builds.fixed_states.held == {}
    assert builds.fixed_states.good_through["shopify"] > builds.good_through

"""A channel whose new data cannot be built keeps its last good state; the others go on.

A small landing zone of two channels, landed as ingestion lands them (the Shopify orders through
the landing writer, a wholesale sheet through its importer), is built by the warehouse's Dagster
assets (the dbt asset, the snapshot and its check), as `oms build` and the scheduled job run
them, but only the part of the project this needs: the two channels' order staging and the
operations marts (a build of the whole project costs ~25 s each, and this takes four).

Then the Shopify connector lands an order whose ``line_items`` is an object (the GraphQL
connection shape, ``{"edges": [...]}``, where the REST staging reads an array: the cast
stg_shopify__order_lines makes cannot take it) beside a good one, and a buyer sends a new sheet.
The build holds Shopify back: the new sheet is built, Shopify's tables are as they were, the
completeness mart and the Overview say it is held and why, and the snapshot's check fails. A
corrected load of the order (REST shape) then builds: everything is current, the good order
landed in the same load as the broken one included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from ichigen.ingestion.files import import_wholesale
from ichigen.ingestion.landing import LandingZone
from ichigen.orchestration.held_channels import ChannelStates
from ichigen.orchestration.warehouse import (
    ichigen_dbt_assets,
    no_channel_is_held_back,
    serving_snapshot,
    warehouse_resources,
)
from ichigen.settings import Settings, load_settings
from tests.app.conftest import APP_DIR, TIMEOUT_S

# four dbt builds of a part of the project over a few records
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# the two channels' order staging, and what the completeness mart is made of
MODELS = (
    "stg_shopify__orders",
    "stg_shopify__order_lines",
    "stg_shopify__order_refunds",  # its relationship test to the orders runs with them
    "stg_wholesale__slip_lines",  # the red slips that cancel order lines
    "stg_wholesale__order_lines",
    "stg_wholesale__orders",
    "stg_ingestion__loads",
    "stg_ingestion__failures",
    "stg_ingestion__quarantined_records",
    "fct_loads",
    "fct_ingest_failures",
    "fct_quarantined_records",
    "fct_channel_completeness",
)

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
class Built:
    """One build: whether it ran, the channels' states after it, its snapshot's check."""

    success: bool
    states: ChannelStates
    check_passed: bool | None
    check_description: str | None
    orders: dict[str, str]  # channel order id -> channel, in staging
    completeness: list[dict[str, Any]]  # from the snapshot


def _build(settings: Settings) -> Built:
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [ichigen_dbt_assets, serving_snapshot, no_channel_is_held_back],
            selection=dg.AssetSelection.assets(*MODELS, "serving_snapshot"),
            resources=warehouse_resources(settings),
            instance=instance,
            raise_on_error=False,
        )
    checks = [
        event.asset_check_evaluation_data
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
        and event.asset_check_evaluation_data.check_name == "no_channel_is_held_back"
    ]
    with duckdb.connect(str(settings.paths.warehouse), read_only=True) as con:
        orders = dict(
            con.execute(
                "select channel_order_id, channel from staging.stg_shopify__orders "
                "union all select channel_order_id, channel from staging.stg_wholesale__orders"
            ).fetchall()
        )
    with duckdb.connect(str(settings.paths.snapshot), read_only=True) as con:
        con.execute("set time zone 'UTC'")
        cursor = con.execute("select * from fct_channel_completeness order by channel, entity")
        names = [d[0] for d in cursor.description]
        completeness = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return Built(
        success=result.success,
        states=ChannelStates.read(settings.paths.channel_states),
        check_passed=checks[0].passed if checks else None,
        check_description=checks[0].description if checks else None,
        orders=orders,
        completeness=completeness,
    )


@dataclass(frozen=True)
class Builds:
    good: Built
    held: Built
    fixed: Built
    overview_data: Path  # a data dir with the held build's snapshot


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    data_dir = tmp_path_factory.mktemp("held") / "data"
    settings = load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False)
    _land_shopify(settings, [_shopify_order(1001, DAY)])
    _land_sheet(settings, "PO-1", DAY)
    good = _build(settings)
    assert good.success and good.check_passed, good
    # the next pull: an order in the GraphQL shape beside a good one; a new sheet
    _land_shopify(
        settings,
        [
            _shopify_order(1002, DAY + timedelta(days=1)),
            _shopify_order(1003, DAY + timedelta(days=1), graphql_lines=True),
        ],
    )
    _land_sheet(settings, "PO-2", DAY + timedelta(days=1))
    held = _build(settings)
    # the app's view of the held snapshot, kept apart from the next build's
    overview_data = tmp_path_factory.mktemp("held_snapshot") / "data"
    (overview_data / "serving").mkdir(parents=True)
    (overview_data / "serving" / "current.duckdb").write_bytes(settings.paths.snapshot.read_bytes())
    # the connector fixed: the order pulled again in the REST shape
    _land_shopify(settings, [_shopify_order(1003, DAY + timedelta(days=1, hours=1))])
    yield Builds(good=good, held=held, fixed=_build(settings), overview_data=overview_data)


def test_the_other_channels_new_data_is_built_and_the_held_channel_keeps_its_last_good_state(
    builds: Builds,
) -> None:
    held = builds.held
    assert held.success, "the build went on without the held channel"
    assert held.check_passed is False
    good_through = builds.good.states.good_through["shopify"]
    [shopify] = held.states.held.values()
    assert shopify.channel == "shopify" and shopify.as_of == good_through
    assert "stg_shopify__order_lines" in shopify.reason and "Expected ARRAY" in shopify.reason
    assert held.check_description is not None and "Expected ARRAY" in held.check_description
    # the new sheet is there; Shopify is as the first build left it (the good order of the
    # broken load too: stg_shopify__orders could read it, but a channel is held back whole)
    assert held.orders == {"1001": "shopify", "PO-1": "wholesale", "PO-2": "wholesale"}
    assert held.states.good_through["wholesale"] > builds.good.states.good_through["wholesale"]


def test_the_completeness_mart_says_which_channel_is_held_since_when_and_why(
    builds: Builds,
) -> None:
    rows = {(r["channel"], r["entity"]): r for r in builds.held.completeness}
    shopify = rows[("shopify", "orders")]
    good_through = builds.good.states.good_through["shopify"]
    assert shopify["is_held"] is True
    assert shopify["held_as_of"] == good_through
    assert "Expected ARRAY" in shopify["held_reason"]
    assert shopify["held_since"] > good_through
    wholesale = rows[("wholesale", "order_lines")]
    assert wholesale["is_held"] is False and wholesale["held_reason"] is None
    assert not any(r["is_held"] for r in builds.good.completeness)


def _page(page: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("ICHIGEN_DATA_DIR", str(data_dir))
    monkeypatch.setattr("ichigen.settings.load_dotenv", lambda **_: False)
    at = AppTest.from_file(str(APP_DIR / "views" / f"{page}.py"), default_timeout=TIMEOUT_S)
    at.session_state["role"] = "viewer"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_overview_and_data_health_say_the_channel_shows_its_last_good_state(
    builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _page("overview", builds.overview_data, monkeypatch)
    [warning] = [w.value for w in at.warning if "held back" in w.value]
    assert "**shopify**: new data could not be built; showing its last good state from" in warning
    assert "Expected ARRAY" in warning
    assert "wholesale" not in warning
    at = _page("data_health", builds.overview_data, monkeypatch)
    assert any("**shopify**: new data could not be built" in w.value for w in at.warning)
    [table] = [f.value for f in at.dataframe if "is_held" in f.value.columns]
    held = table.set_index(["channel", "entity"])["is_held"].to_dict()
    assert held == {("shopify", "orders"): True, ("wholesale", "order_lines"): False}


def test_after_a_corrected_load_every_channel_is_current_again(builds: Builds) -> None:
    fixed = builds.fixed
    assert fixed.success and fixed.check_passed, fixed
    assert fixed.orders == {
        "1001": "shopify",
        "1002": "shopify",  # landed with the broken order, read once the channel builds
        "1003": "shopify",
        "PO-1": "wholesale",
        "PO-2": "wholesale",
    }
    assert not any(r["is_held"] for r in fixed.completeness)
    assert fixed.states.held == {}
    assert fixed.states.good_through["shopify"] > builds.good.states.good_through["shopify"]

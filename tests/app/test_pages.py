"""Every page against a small real snapshot: it renders, its filters change what it shows, and
personal data follows the role."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ichigen.app.data.orders import OPEN_STATUSES
from ichigen.app.screenshots import PAGES
from tests.app.conftest import RunPage

pytestmark = pytest.mark.slow


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has `column` (tables carry no key in AppTest)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(at: AppTest) -> list[str]:
    return [e.value for e in (*at.info, *at.warning, *at.error)]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_the_built_snapshot_without_an_exception(
    page: str, app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page(page, app_data_dir)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == page.replace("_", " ").capitalize()
    assert not any("No data yet" in t for t in _texts(at)), _texts(at)


def test_the_router_opens_the_overview_and_every_page_by_its_path(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("app", app_data_dir)
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any("Snapshot published" in c.value for c in at.sidebar.caption)
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.title[0].value == page.replace("_", " ").capitalize()


def test_the_overview_shows_the_headline_numbers_and_a_channel_filter_narrows_them(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("overview", app_data_dir)
    metrics = _metrics(at)
    assert {"Revenue (net of refunds)", "Orders", "Units", "Return rate", "Stockout days"} <= set(
        metrics
    )
    everything = int(metrics["Orders"].replace(",", ""))
    assert everything > 0
    channels = _table_with(at, "revenue_jpy")["channel"].tolist()
    at.multiselect(key="overview_channels").set_value([channels[0]]).run()
    one = int(_metrics(at)["Orders"].replace(",", ""))
    assert 0 < one < everything
    assert _table_with(at, "revenue_jpy")["channel"].tolist() == [channels[0]]


def test_orders_are_listed_open_first_and_filtered_by_status_and_search(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("orders", app_data_dir)
    listing = _table_with(at, "order_status")
    assert not listing.empty
    statuses = listing["order_status"].tolist()
    open_ones = [s for s in statuses if s in OPEN_STATUSES]
    assert statuses[: len(open_ones)] == open_ones  # open orders come first
    at.multiselect(key="orders_statuses").set_value(["delivered"]).run()
    assert set(_table_with(at, "order_status")["order_status"]) == {"delivered"}
    key = _table_with(at, "order_status")["order_key"].iloc[0]
    at.text_input(key="orders_search").input(key).run()
    assert _table_with(at, "order_status")["order_key"].tolist() == [key]
    # the order's history starts with it being placed
    assert _table_with(at, "event")["event"].iloc[0] == "ordered"


def test_a_search_with_sql_in_it_is_only_a_search(app_data_dir: Path, run_page: RunPage) -> None:
    at = run_page("orders", app_data_dir)
    at.text_input(key="orders_search").input("x' or '1'='1").run()
    assert not at.exception
    assert any("No orders match" in t for t in _texts(at))


def test_customers_show_segments_and_mask_personal_data_unless_the_role_may_see_it(
    app_data_dir: Path, run_page: RunPage
) -> None:
    viewer = run_page("customers", app_data_dir, role="viewer")
    assert {"Customers", "Repeat rate"} <= set(_metrics(viewer))
    assert any("masked" in c.value for c in viewer.caption)
    segments = viewer.selectbox(key="customers_segment").options
    assert "champions" in segments
    # one customer's identities, each with the rule that merged it
    identities = _table_with(viewer, "rule")
    assert not identities.empty
    assert identities["rule"].notna().all()
    marketer = run_page("customers", app_data_dir, role="marketer")
    assert not any("masked" in c.value for c in marketer.caption)


def test_inventory_shows_stock_and_what_channels_are_told_filtered_by_location(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("inventory", app_data_dir)
    assert {"SKUs", "On hand", "Available to promise", "Overselling listings"} <= set(_metrics(at))
    stock = _table_with(at, "available_to_promise")
    locations = sorted(stock["location_id"].unique())
    assert len(locations) > 1
    at.multiselect(key="inventory_locations").set_value([locations[0]]).run()
    assert set(_table_with(at, "available_to_promise")["location_id"]) == {locations[0]}


def test_demand_shows_history_sellers_and_says_when_forecasts_are_not_built(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("demand", app_data_dir)
    assert "Units sold" in _metrics(at)
    headings = [s.value for s in at.subheader]
    assert {"History and forecast", "Best and worst sellers", "Seasonality"} <= set(headings)
    all_units = int(_metrics(at)["Units sold"].replace(",", ""))
    best = _table_with(at, "units_sold")["sku"].iloc[0]
    at.selectbox(key="demand_sku").set_value(best).run()
    assert 0 < int(_metrics(at)["Units sold"].replace(",", "")) < all_units


def test_reorder_lists_suggestions_by_urgency_with_the_numbers_behind_them(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("reorder", app_data_dir)
    assert int(_metrics(at)["Suggestions"].replace(",", "")) > 0
    ranks = at.data_editor[0].value["urgency_rank"].tolist()
    assert ranks == sorted(ranks)
    steps = _table_with(at, "step")["step"].tolist()
    assert any(s.startswith("Safety stock") for s in steps)
    assert any(s.startswith("Reorder point") for s in steps)
    # a viewer may look but not create purchase orders
    assert at.button(key="reorder_create").disabled


def test_returns_flag_outliers_and_a_minimum_volume_filter_drops_small_skus(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("returns", app_data_dir)
    assert {"Return rate", "Units returned", "Outliers"} <= set(_metrics(at))
    rates = _table_with(at, "is_outlier")
    at.number_input(key="returns_min_units").set_value(int(rates["units_sold"].max())).run()
    assert len(_table_with(at, "is_outlier")) < len(rates)


def test_data_health_shows_every_channels_last_load_adding_up(
    app_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("data_health", app_data_dir)
    latest = _table_with(at, "adds_up")
    assert {"shopify", "amazon", "rakuten", "pos", "wholesale", "supplier"} <= set(
        latest["channel"]
    )
    assert latest["adds_up"].all()
    at.multiselect(key="health_channels").set_value(["shopify"]).run()
    assert set(_table_with(at, "adds_up")["channel"]) == {"shopify"}


def test_customer_emails_and_phones_are_masked_for_a_viewer_and_shown_to_a_marketer(
    app_data_dir: Path, run_page: RunPage
) -> None:
    with duckdb.connect(str(app_data_dir / "serving" / "current.duckdb"), read_only=True) as con:
        built = con.execute(
            "select count(*) from information_schema.tables where table_name = 'dim_customers'"
        ).fetchone()
    if not built or not built[0]:
        pytest.skip("dim_customers is not in the test snapshot (its build failed)")
    viewer = _table_with(run_page("customers", app_data_dir, role="viewer"), "email")
    marketer = _table_with(run_page("customers", app_data_dir, role="marketer"), "email")
    assert list(viewer["customer_id"]) == list(marketer["customer_id"])
    emails = viewer["email"].dropna()
    assert not emails.empty and emails.str.contains(r"\*\*\*", regex=True).all()
    assert not marketer["email"].dropna().str.contains(r"\*\*\*", regex=True).any()
    assert viewer["customer_name"].dropna().str.endswith("***").all()


def test_returns_warn_of_orders_partly_returned_before_they_were_first_landed(
    app_data_dir: Path, run_page: RunPage
) -> None:
    snapshot = app_data_dir / "serving" / "current.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        flagged = con.execute(
            "select order_key, channel_order_id, cast(ordered_at as date) from fct_orders "
            "where has_unobserved_returns order by ordered_at"
        ).fetchall()
    # the test world is pulled once, at its end: Rakuten's partial returns came before it
    assert flagged, "the test world has partial returns RMS rewrote before the pull"
    at = run_page("returns", app_data_dir)
    assert any(f"{len(flagged):,} orders were partly returned" in t for t in _texts(at))
    key, number, day = flagged[0]
    around = (day - timedelta(days=1), day + timedelta(days=1))  # the page's days are JST
    state = {"orders_period": around, "orders_search": number, "orders_selected": key}
    order = run_page("orders", app_data_dir, state=state)
    assert any("returned before ichigen first landed it" in t for t in _texts(order))

"""The Shopify simulator, driven as real clients drive Shopify: httpx and the official library."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import polars as pl
import pytest
import shopify

from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.ratelimit import LeakyBucket
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.simulators.shopify import ShopifyApp
from ichigen.sandbox.world import World
from ichigen.settings import Settings

JST_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$")


def _app(sandbox: RunningSandbox) -> ShopifyApp:
    app = sandbox.servers["shopify"].app
    assert isinstance(app, ShopifyApp)
    return app


@pytest.fixture
def admin(sandbox: RunningSandbox, settings: Settings) -> str:
    return f"{sandbox.urls['shopify']}/admin/api/{settings.shopify.api_version}"


@pytest.fixture
def client(sandbox: RunningSandbox, settings: Settings) -> Iterator[httpx.Client]:
    """A client with the shop's token and room in the bucket for a test's worth of paging."""
    _app(sandbox).bucket = LeakyBucket(capacity=500, leak_per_s=100)
    headers = {"X-Shopify-Access-Token": settings.shopify.access_token.get_secret_value()}
    with httpx.Client(headers=headers, timeout=10) as http:
        yield http


def _page_all(client: httpx.Client, url: str, key: str) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    next_url: str | None = url
    while next_url:
        answer = client.get(next_url)
        assert answer.status_code == 200, answer.text
        records.extend(answer.json()[key])
        next_url = answer.links.get("next", {}).get("url")
    return records


def _visible_orders(world: World) -> pl.DataFrame:
    with world.lock:
        return world.visible_orders("shopify")


def test_paging_all_orders_with_status_any_returns_each_visible_order_once(
    client: httpx.Client, admin: str, world: World
) -> None:
    orders = _page_all(client, f"{admin}/orders.json?status=any&limit=250", "orders")
    truth = _visible_orders(world)
    ids = [int(str(order["id"])) for order in orders]
    assert len(ids) == len(set(ids)) == truth.height > 250
    assert set(ids) == {int(i) for i in truth["channel_order_id"]}
    assert sum(int(str(order["total_price"])) for order in orders) == truth["total_jpy"].sum()
    count = client.get(f"{admin}/orders/count.json", params={"status": "any"}).json()
    assert count == {"count": truth.height}


def test_the_default_status_is_open_as_on_shopify(client: httpx.Client, admin: str) -> None:
    open_count = client.get(f"{admin}/orders/count.json").json()["count"]
    any_count = client.get(f"{admin}/orders/count.json?status=any").json()["count"]
    assert 0 < open_count < any_count
    page = client.get(f"{admin}/orders.json", params={"limit": 250}).json()["orders"]
    assert all(o["closed_at"] is None and o["cancelled_at"] is None for o in page)


def test_updated_at_filters_and_order_give_an_incremental_window(
    client: httpx.Client, admin: str, world: World
) -> None:
    truth = _visible_orders(world)
    since: datetime = truth["updated_at"].max() - timedelta(days=3)  # type: ignore[operator]
    url = (
        f"{admin}/orders.json?status=any&limit=50&order=updated_at+asc"
        f"&updated_at_min={since.isoformat().replace('+', '%2B')}"
    )
    orders = _page_all(client, url, "orders")
    expected = truth.filter(pl.col("updated_at") >= since)
    assert len(orders) == expected.height > 0
    stamps = [datetime.fromisoformat(str(o["updated_at"])) for o in orders]
    assert stamps == sorted(stamps) and all(s >= since for s in stamps)


def test_an_order_shows_refunds_fulfillment_and_money_in_shopifys_shape(
    client: httpx.Client, admin: str, world: World
) -> None:
    with world.lock:
        returns = world.visible_returns()
        orders = world.visible_orders("shopify").join(
            returns.group_by("order_id").agg(pl.col("refund_jpy").sum()), on="order_id"
        )
    target = orders.row(0, named=True)
    answer = client.get(f"{admin}/orders/{target['channel_order_id']}.json")
    assert answer.status_code == 200
    order = answer.json()["order"]
    assert order["name"] == target["order_name"]
    assert order["financial_status"] in ("partially_refunded", "refunded")
    assert order["fulfillment_status"] == "fulfilled"
    assert order["fulfillments"][0]["status"] == "success"
    assert order["total_price"] == str(target["total_jpy"]) and order["currency"] == "JPY"
    assert order["taxes_included"] is True and order["source_name"] == "web"
    assert all(JST_TIME.match(order[k]) for k in ("created_at", "updated_at", "processed_at"))
    refunded = sum(int(t["amount"]) for refund in order["refunds"] for t in refund["transactions"])
    assert refunded == target["refund_jpy"]
    refund_line = order["refunds"][0]["refund_line_items"][0]
    assert refund_line["restock_type"] in ("return", "no_restock")
    assert refund_line["line_item_id"] in {item["id"] for item in order["line_items"]}
    item = order["line_items"][0]
    assert item["tax_lines"][0]["title"] == "JCT" and item["tax_lines"][0]["rate"] == 0.1
    assert isinstance(item["price"], str) and item["sku"]


def test_unpaid_and_cancelled_orders_have_shopifys_financial_statuses(
    client: httpx.Client, admin: str, world: World
) -> None:
    truth = _visible_orders(world)
    pending = truth.filter(pl.col("paid_at").is_null() & pl.col("cancelled_at").is_null())
    voided = truth.filter(pl.col("paid_at").is_null() & pl.col("cancelled_at").is_not_null())
    counts = {
        status: client.get(
            f"{admin}/orders/count.json", params={"status": "any", "financial_status": status}
        ).json()["count"]
        for status in ("pending", "voided")
    }
    assert counts == {"pending": pending.height, "voided": voided.height}


def test_a_page_info_request_with_another_filter_is_a_400(client: httpx.Client, admin: str) -> None:
    first = client.get(f"{admin}/orders.json", params={"status": "any", "limit": 5})
    next_url = first.links["next"]["url"]
    assert client.get(next_url).status_code == 200
    answer = client.get(next_url + "&status=any")
    assert answer.status_code == 400
    assert "status cannot be passed when page_info is present" in answer.json()["errors"]["status"]
    # limit and fields are the two parameters Shopify allows next to page_info.
    fields = client.get(next_url.replace("limit=5", "limit=3") + "&fields=id,name")
    assert fields.status_code == 200
    assert [set(order) for order in fields.json()["orders"]] == [{"id", "name"}] * 3


def test_a_limit_above_250_is_a_400(client: httpx.Client, admin: str) -> None:
    assert client.get(f"{admin}/orders.json", params={"limit": 251}).status_code == 400
    assert client.get(f"{admin}/orders.json", params={"limit": 250}).status_code == 200


def test_a_previous_link_leads_back_to_the_page_before(client: httpx.Client, admin: str) -> None:
    first = client.get(f"{admin}/orders.json", params={"status": "any", "limit": 10})
    assert "previous" not in first.links
    second = client.get(first.links["next"]["url"])
    assert second.headers["link"].startswith("<http") and 'rel="previous"' in second.headers["link"]
    back = client.get(second.links["previous"]["url"])
    assert [o["id"] for o in back.json()["orders"]] == [o["id"] for o in first.json()["orders"]]


def test_requests_without_the_right_access_token_are_401(admin: str) -> None:
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        answer = httpx.get(f"{admin}/orders.json", headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_every_answer_carries_the_call_limit_and_any_api_version_is_served(
    sandbox: RunningSandbox, settings: Settings
) -> None:
    headers = {"X-Shopify-Access-Token": settings.shopify.access_token.get_secret_value()}
    base = sandbox.urls["shopify"]
    answer = httpx.get(f"{base}/admin/api/2025-01/locations.json", headers=headers, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"
    assert httpx.get(f"{base}/admin/locations.json", headers=headers).status_code == 404


def test_a_full_bucket_answers_429_with_retry_after(
    sandbox: RunningSandbox, admin: str, settings: Settings
) -> None:
    _app(sandbox).bucket = LeakyBucket(capacity=4, leak_per_s=0.01)
    headers = {"X-Shopify-Access-Token": settings.shopify.access_token.get_secret_value()}
    with httpx.Client(headers=headers, timeout=5) as http:
        answers = [http.get(f"{admin}/locations.json") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 4 + [429] * 2
    assert [a.headers["X-Shopify-Shop-Api-Call-Limit"] for a in answers[:4]] == [
        "1/4",
        "2/4",
        "3/4",
        "4/4",
    ]
    assert answers[4].headers["Retry-After"] == "2.0"
    assert answers[4].json()["errors"].startswith("Exceeded 2 calls per second for api client")


def test_the_duplicates_fault_repeats_records_across_pages(
    sandbox: RunningSandbox, client: httpx.Client, admin: str, world: World
) -> None:
    sandbox.set_faults(FaultPlan(duplicates=1.0, seed=3))
    orders = _page_all(client, f"{admin}/orders.json?status=any&limit=100", "orders")
    ids = [order["id"] for order in orders]
    assert len(ids) > len(set(ids))
    assert len(set(ids)) == _visible_orders(world).height


def test_the_late_updates_fault_changes_an_order_behind_the_newest_change(
    sandbox: RunningSandbox, client: httpx.Client, admin: str, world: World
) -> None:
    before = _visible_orders(world).select("channel_order_id", "updated_at")
    watermark = before["updated_at"].max()
    sandbox.set_faults(FaultPlan(late_updates=1.0, seed=5))
    client.get(f"{admin}/orders.json", params={"status": "any", "limit": 1})
    sandbox.set_faults(FaultPlan())
    after = _visible_orders(world).select("channel_order_id", "updated_at")
    changed = before.join(after, on="channel_order_id", suffix="_after").filter(
        pl.col("updated_at") != pl.col("updated_at_after")
    )
    assert changed.height == 1
    edited = changed.row(0, named=True)
    assert edited["updated_at"] < edited["updated_at_after"] < watermark
    # A connector whose cursor sits at the watermark misses it; one that looks back finds it.
    order = client.get(f"{admin}/orders/{edited['channel_order_id']}.json").json()["order"]
    assert order["note"] and datetime.fromisoformat(order["updated_at"]) < watermark


def test_setting_an_inventory_level_changes_what_inventory_levels_and_the_world_show(
    client: httpx.Client, admin: str, world: World
) -> None:
    with world.lock:
        sku = world.tables["skus"].row(0, named=True)
        location = world.tables["locations"].filter(pl.col("shopify_location_id").is_not_null())
        location_row = location.row(0, named=True)
    body = {
        "location_id": location_row["shopify_location_id"],
        "inventory_item_id": sku["shopify_inventory_item_id"],
        "available": 17,
    }
    for _ in range(2):  # an absolute quantity: repeating the push changes nothing
        answer = client.post(f"{admin}/inventory_levels/set.json", json=body)
        assert answer.status_code == 200
        assert answer.json()["inventory_level"]["available"] == 17
    levels = client.get(
        f"{admin}/inventory_levels.json",
        params={
            "inventory_item_ids": sku["shopify_inventory_item_id"],
            "location_ids": location_row["shopify_location_id"],
        },
    ).json()["inventory_levels"]
    assert [level["available"] for level in levels] == [17]
    assert world.listing_quantity("shopify", sku["sku"], location_row["location_id"]) == 17


def test_inventory_pushes_with_unknown_ids_or_missing_fields_are_refused(
    client: httpx.Client, admin: str
) -> None:
    url = f"{admin}/inventory_levels/set.json"
    unknown = client.post(url, json={"location_id": 1, "inventory_item_id": 2, "available": 3})
    assert unknown.status_code == 422 and isinstance(unknown.json()["errors"], list)
    missing = client.post(url, json={"location_id": 1, "available": 3})
    assert missing.status_code == 400 and "inventory_item_id" in missing.json()["errors"]
    no_filter = client.get(f"{admin}/inventory_levels.json")
    assert no_filter.status_code == 422


def test_inventory_levels_page_through_every_shopify_listing(
    client: httpx.Client, admin: str, world: World
) -> None:
    with world.lock:
        shop_locations = world.tables["locations"].filter(
            pl.col("shopify_location_id").is_not_null()
        )
        listings = world.tables["listings"].filter(
            (pl.col("channel") == "shopify")
            & pl.col("location_id").is_in(shop_locations["location_id"].implode())
        )
    ids = ",".join(str(i) for i in shop_locations["shopify_location_id"])
    levels = _page_all(
        client, f"{admin}/inventory_levels.json?location_ids={ids}&limit=50", "inventory_levels"
    )
    assert len(levels) == listings.height
    assert sum(int(str(level["available"])) for level in levels) == listings["quantity"].sum()


def test_customers_products_and_locations_come_from_the_world(
    client: httpx.Client, admin: str, world: World
) -> None:
    with world.lock:
        identities = world.tables["identities"].filter(
            (pl.col("channel") == "shopify") & (pl.col("created_at") <= world.now)
        )
        shop_locations = world.tables["locations"].filter(
            pl.col("shopify_location_id").is_not_null()
        )
        skus = world.tables["skus"]
    customers = _page_all(client, f"{admin}/customers.json?limit=250", "customers")
    assert len(customers) == identities.height
    assert {c["email"] for c in customers} == set(identities["email"])
    locations = client.get(f"{admin}/locations.json").json()["locations"]
    assert {loc["id"] for loc in locations} == set(shop_locations["shopify_location_id"])
    products = _page_all(client, f"{admin}/products.json?limit=50", "products")
    variants = [v for p in products for v in p["variants"]]  # type: ignore[attr-defined]
    by_sku = {row["sku"]: row for row in skus.iter_rows(named=True)}
    assert variants and all(
        v["inventory_item_id"] == by_sku[v["sku"]]["shopify_inventory_item_id"]
        and v["price"] == str(by_sku[v["sku"]]["price_jpy"])
        for v in variants
    )


@pytest.fixture
def shopify_library(admin: str, settings: Settings) -> Iterator[None]:
    shopify.ShopifyResource.set_site(admin)
    shopify.ShopifyResource.set_headers(
        {"X-Shopify-Access-Token": settings.shopify.access_token.get_secret_value()}
    )
    try:
        yield
    finally:
        shopify.ShopifyResource.set_headers({})
        shopify.ShopifyResource.clear_session()


@pytest.mark.usefixtures("shopify_library", "client")
def test_the_official_shopify_library_pages_orders_and_pushes_stock(world: World) -> None:
    # Few fields: the library builds an object per nested record, which is slow for whole orders.
    page = shopify.Order.find(status="any", limit=250, fields="id,name,total_price")
    orders = list(page)
    while page.has_next_page():
        page = page.next_page()
        orders.extend(page)
    truth = _visible_orders(world)
    assert sorted(o.id for o in orders) == sorted(int(i) for i in truth["channel_order_id"])
    assert sum(int(o.total_price) for o in orders) == truth["total_jpy"].sum()
    full = shopify.Order.find(int(truth["channel_order_id"][0]))
    assert full.name == truth["order_name"][0] and full.line_items[0].sku
    assert shopify.Order.count(status="any") == truth.height

    location = shopify.Location.find()[0]
    variant = shopify.Product.find(limit=1)[0].variants[0]
    level = shopify.InventoryLevel.set(location.id, variant.inventory_item_id, 9)
    assert level.available == 9
    with world.lock:
        sku_location = world.tables["locations"].filter(
            pl.col("shopify_location_id") == location.id
        )["location_id"][0]
    assert world.listing_quantity("shopify", variant.sku, sku_location) == 9


def _refund_in_shop_money(refund: dict[str, Any]) -> int:
    """A refund as ichigen reads it when its transactions are in another currency: the lines'
    shop_money (prices include tax) less the order adjustments' shop_money."""
    lines = sum(
        int(line["subtotal_set"]["shop_money"]["amount"]) for line in refund["refund_line_items"]
    )
    adjusted = sum(
        int(a["amount_set"]["shop_money"]["amount"]) for a in refund["order_adjustments"]
    )
    return lines - adjusted


def test_orders_come_in_shopifys_untidy_shapes_and_keep_the_worlds_money(
    client: httpx.Client, admin: str, world: World
) -> None:
    orders: list[dict[str, Any]] = _page_all(
        client, f"{admin}/orders.json?status=any&limit=250", "orders"
    )  # type: ignore[assignment]
    # as Shopify's 2024-10 examples: web orders name no location and no legacy gateway
    assert all(order["location_id"] is None and "gateway" not in order for order in orders)
    assert all(order["payment_gateway_names"] for order in orders)
    fulfillments = [f for order in orders for f in order["fulfillments"]]
    assert all(f["location_id"] is not None for f in fulfillments), "where it shipped from"
    assert any(f["status"] == "failure" for f in fulfillments)
    split = [o for o in orders if sum(f["status"] == "success" for f in o["fulfillments"]) > 1]
    assert split, "some orders ship in two parcels"
    for order in split:
        shipped = [
            i["id"]
            for f in order["fulfillments"]
            if f["status"] == "success"
            for i in f["line_items"]
        ]
        assert sorted(shipped) == sorted(i["id"] for i in order["line_items"])
    in_dollars = [o for o in orders if o["presentment_currency"] == "USD"]
    assert 0 < len(in_dollars) < len(orders) / 10
    for order in in_dollars:
        assert order["currency"] == "JPY"
        assert order["total_price_set"]["shop_money"]["amount"] == order["total_price"]
        for refund in order["refunds"]:
            assert {t["currency"] for t in refund["transactions"]} == {"USD"}
    # every refund's shop money is what the world refunded, adjustments included
    truth = _visible_orders(world).select("channel_order_id", "total_jpy")
    refunds = [(order, refund) for order in orders for refund in order["refunds"]]
    assert any(refund["order_adjustments"] for _, refund in refunds)
    for order, refund in refunds:
        if order["presentment_currency"] == "JPY":
            paid_back = sum(int(t["amount"]) for t in refund["transactions"])
            assert _refund_in_shop_money(refund) == paid_back, refund["id"]
    assert sum(int(str(order["total_price"])) for order in orders) == truth["total_jpy"].sum()

"""The Amazon SP-API simulator, driven by the official python-amazon-sp-api client and by httpx.

The library tests are the fidelity check: a third-party client written for the real
sellingpartnerapi-fe.amazon.com must work against the simulator with only its endpoints moved.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import polars as pl
import pytest
from sp_api.api import Finances, Inventories, ListingsItems, Orders, Tokens
from sp_api.auth import AccessTokenClient
from sp_api.auth import access_token_client as sp_auth
from sp_api.base import Marketplaces

from ichigen.sandbox.simulators.amazon import AmazonApp, DocumentedAccount, empty_world
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.http import SimulatorServer
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings

MFN_LOCATION = "WH-TOKYO"
LONG_AGO = "2000-01-01T00:00:00Z"
C = TypeVar("C")


@pytest.fixture(autouse=True)
def _fresh_library_token_cache() -> Iterator[None]:
    # python-amazon-sp-api caches access tokens per refresh token at module level; a token of an
    # earlier test's simulator would be unknown to this one.
    sp_auth.cache.clear()
    yield
    sp_auth.cache.clear()


@pytest.fixture
def app(sandbox: RunningSandbox) -> AmazonApp:
    amazon = sandbox.servers["amazon"].app
    assert isinstance(amazon, AmazonApp)
    return amazon


@pytest.fixture
def base_url(sandbox: RunningSandbox) -> str:
    return sandbox.urls["amazon"]


@pytest.fixture
def http(base_url: str, settings: Settings) -> Iterator[httpx.Client]:
    """An httpx client that already holds a live access token."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.headers["x-amz-access-token"] = _token(client, settings)
        yield client


def _token(client: httpx.Client, settings: Settings, **override: str) -> str:
    answer = client.post("/auth/o2/token", data=_grant(settings, **override))
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _grant(settings: Settings, **override: str) -> dict[str, str]:
    amazon = settings.amazon
    return {
        "grant_type": "refresh_token",
        "refresh_token": amazon.refresh_token.get_secret_value(),
        "client_id": amazon.client_id,
        "client_secret": amazon.client_secret.get_secret_value(),
        **override,
    }


def _library(cls: type[C], base_url: str, settings: Settings) -> C:
    """A python-amazon-sp-api client whose LWA and SP-API endpoints are the simulator."""
    token_client = type(
        "SandboxAccessTokenClient",
        (AccessTokenClient,),
        {"scheme": "http://", "host": base_url.removeprefix("http://")},
    )
    amazon = settings.amazon
    client: Any = cls(  # type: ignore[call-arg]
        marketplace=Marketplaces.JP,
        credentials={
            "refresh_token": amazon.refresh_token.get_secret_value(),
            "lwa_app_id": amazon.client_id,
            "lwa_client_secret": amazon.client_secret.get_secret_value(),
        },
        auth_token_client_class=token_client,
    )
    client.endpoint = base_url
    return client  # type: ignore[no-any-return]


def _visible(world: World) -> pl.DataFrame:
    with world.lock:
        return world.visible_orders("amazon")


def _expected_status(row: dict[str, Any]) -> str:
    if row["cancelled_at"] is not None:
        return "Canceled"
    if row["shipped_at"] is not None:
        return "Shipped"
    if row["paid_at"] is not None or row["payment_method"] in ("cod", "invoice"):
        return "Unshipped"
    return "Pending"


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _all_orders(client: Any, marketplace: str, **filters: Any) -> list[dict[str, Any]]:
    page = client.get_orders(MarketplaceIds=[marketplace], **filters)
    orders: list[dict[str, Any]] = list(page.payload["Orders"])
    while page.next_token:
        page = client.get_orders(MarketplaceIds=[marketplace], NextToken=page.next_token)
        orders += page.payload["Orders"]
    return orders


# --- through the official client ------------------------------------------------------------


def test_the_library_pages_through_exactly_the_worlds_visible_amazon_orders(
    base_url: str, settings: Settings, world: World
) -> None:
    orders = _library(Orders, base_url, settings)
    seen = _all_orders(
        orders, settings.amazon.marketplace_id, LastUpdatedAfter=LONG_AGO, MaxResultsPerPage=100
    )
    expected = {row["channel_order_id"]: row for row in _visible(world).iter_rows(named=True)}
    ids = [order["AmazonOrderId"] for order in seen]
    assert len(expected) > 100, "the small world should need several pages"
    assert len(ids) == len(set(ids)), "no order twice when nothing changes while paging"
    assert set(ids) == set(expected)
    for order in seen:
        truth = expected[order["AmazonOrderId"]]
        status = _expected_status(truth)
        assert order["OrderStatus"] == status
        assert order["LastUpdateDate"] == _iso(truth["updated_at"])
        assert order["PurchaseDate"] == _iso(truth["created_at"])
        assert order["FulfillmentChannel"] == ("AFN" if truth["location_id"] == "FBA-JP" else "MFN")
        if status in ("Unshipped", "Shipped"):
            assert order["OrderTotal"] == {"CurrencyCode": "JPY", "Amount": str(truth["total_jpy"])}
    updates = [order["LastUpdateDate"] for order in seen]
    assert updates == sorted(updates), "pages run in LastUpdateDate order"


def test_pending_orders_carry_no_total_and_their_items_no_prices(
    base_url: str, settings: Settings
) -> None:
    orders = _library(Orders, base_url, settings)
    pending = _all_orders(
        orders, settings.amazon.marketplace_id, CreatedAfter=LONG_AGO, OrderStatuses=["Pending"]
    )
    assert pending, "the world should hold konbini orders still awaiting payment"
    assert all(order["OrderStatus"] == "Pending" for order in pending)
    assert all("OrderTotal" not in order for order in pending)
    items = orders.get_order_items(pending[0]["AmazonOrderId"]).payload["OrderItems"]
    assert items and all("ItemPrice" not in item and "ItemTax" not in item for item in items)


def test_order_items_page_with_next_token_and_match_the_world_lines(
    app: AmazonApp, base_url: str, settings: Settings, world: World
) -> None:
    with world.lock:
        shipped = _visible(world).filter(pl.col("shipped_at").is_not_null())
        sizes = world.lines_of(shipped["order_id"].to_list()).group_by("order_id").len()
        order_id = sizes.sort("len", "order_id", descending=True)["order_id"][0]
        lines = world.lines_of([order_id]).sort("line_no")
    amazon_id = shipped.filter(pl.col("order_id") == order_id)["channel_order_id"][0]
    assert lines.height >= 2
    app.orders.items_page_size = 1  # every multi-line order now needs NextToken
    client = _library(Orders, base_url, settings)
    page = client.get_order_items(amazon_id)
    items = list(page.payload["OrderItems"])
    while page.next_token:
        page = client.get_order_items(amazon_id, NextToken=page.next_token)
        items += page.payload["OrderItems"]
    assert [item["OrderItemId"] for item in items] == lines["channel_line_id"].to_list()
    for item, line in zip(items, lines.iter_rows(named=True), strict=True):
        assert item["SellerSKU"] == line["sku"]
        assert item["QuantityOrdered"] == item["QuantityShipped"] == line["quantity"]
        price = line["unit_price_jpy"] * line["quantity"]
        assert item["ItemPrice"] == {"CurrencyCode": "JPY", "Amount": str(price)}
        assert item["ItemTax"]["Amount"] == str(price * 10 // 110)


def test_fba_inventory_summaries_report_the_stock_at_fba(
    app: AmazonApp, base_url: str, settings: Settings, world: World
) -> None:
    with world.lock:
        fba_skus = world.tables["inventory"].filter(pl.col("location_id") == "FBA-JP").height
    # several pages, so that the library follows nextToken, but within the operation's burst
    app.inventory.page_size = max(2, fba_skus // 4 + 1)
    client = _library(Inventories, base_url, settings)
    page = client.get_inventory_summary_marketplace(details="true")
    summaries = list(page.payload["inventorySummaries"])
    pages = 1
    while page.next_token:
        page = client.get_inventory_summary_marketplace(details="true", nextToken=page.next_token)
        summaries += page.payload["inventorySummaries"]
        pages += 1
    with world.lock:
        stock = world.tables["inventory"].filter(pl.col("location_id") == "FBA-JP")
    on_hand = dict(zip(stock["sku"], stock["on_hand"], strict=True))
    fulfillable = {s["sellerSku"]: s["inventoryDetails"]["fulfillableQuantity"] for s in summaries}
    assert pages > 1
    assert len(fulfillable) == len(summaries), "each SKU once"
    assert set(on_hand) <= set(fulfillable)
    assert {sku: fulfillable[sku] for sku in on_hand} == on_hand
    assert all(s["condition"] == "NewItem" and s["fnSku"] for s in summaries)


def test_a_stock_push_through_the_library_sets_the_mfn_listing_in_the_world(
    base_url: str, settings: Settings, world: World
) -> None:
    with world.lock:
        sku = world.tables["skus"].filter(pl.col("asin").is_not_null())["sku"][0]
    listings = _library(ListingsItems, base_url, settings)
    seller, market = settings.amazon.seller_id, settings.amazon.marketplace_id
    answer = listings.patch_listings_item(
        seller,
        sku,
        marketplaceIds=[market],
        body={
            "productType": "PRODUCT",
            "patches": [
                {
                    "op": "replace",
                    "path": "/attributes/fulfillment_availability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 17}],
                }
            ],
        },
    )
    assert answer.payload["status"] == "ACCEPTED" and answer.payload["issues"] == []
    assert world.listing_quantity("amazon", sku, MFN_LOCATION) == 17
    read = listings.get_listings_item(
        seller, sku, marketplaceIds=[market], includedData=["fulfillmentAvailability"]
    )
    assert {"fulfillmentChannelCode": "DEFAULT", "quantity": 17} in read.payload[
        "fulfillmentAvailability"
    ]


def test_refunds_arrive_as_refund_events_of_the_finances_api(
    base_url: str, settings: Settings, world: World
) -> None:
    with world.lock:
        amazon = world.tables["orders"].filter(pl.col("channel") == "amazon")
        refunds = world.visible_returns().join(amazon, on="order_id", how="semi")
        first = refunds["refunded_at"].min()
    assert refunds.height > 0, "a 60-day world has refunded amazon returns"
    assert isinstance(first, datetime)
    finances = _library(Finances, base_url, settings)
    after = _iso(first - timedelta(seconds=1))
    page = finances.list_financial_events(PostedAfter=after, MaxResultsPerPage=3)
    events = list(page.payload["FinancialEvents"]["RefundEventList"])
    while page.next_token:
        page = finances.list_financial_events(NextToken=page.next_token)
        events += page.payload["FinancialEvents"]["RefundEventList"]
    items = [item for event in events for item in event["ShipmentItemAdjustmentList"]]
    assert len(items) == refunds.height
    assert sum(item["QuantityShipped"] for item in items) == refunds["quantity"].sum()
    charged = sum(
        charge["ChargeAmount"]["CurrencyAmount"]
        for item in items
        for charge in item["ItemChargeAdjustmentList"]
    )
    assert charged == -refunds["refund_jpy"].sum()
    # some returns pay a restocking fee, a positive charge, and still add up to the refund
    fees = [
        charge
        for item in items
        for charge in item["ItemChargeAdjustmentList"]
        if charge["ChargeType"] == "RestockingFee"
    ]
    assert 0 < len(fees) < len(items) / 4
    assert all(charge["ChargeAmount"]["CurrencyAmount"] > 0 for charge in fees)


# --- over plain HTTP ------------------------------------------------------------------------


def test_the_token_endpoint_exchanges_the_refresh_token_and_refuses_wrong_credentials(
    base_url: str, settings: Settings
) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        good = client.post("/auth/o2/token", data=_grant(settings))
        assert good.status_code == 200
        body = good.json()
        assert body["access_token"].startswith("Atza|")
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600
        bad_client = client.post("/auth/o2/token", data=_grant(settings, client_secret="nope"))
        assert bad_client.status_code == 401
        assert bad_client.json()["error"] == "invalid_client"
        bad_grant = client.post("/auth/o2/token", data=_grant(settings, refresh_token="Atzr|x"))
        assert bad_grant.status_code == 400
        assert bad_grant.json()["error"] == "invalid_grant"
        assert client.post("/auth/o2/token", data={}).json()["error"] == "invalid_request"


def test_calls_need_a_live_token_and_an_expired_one_is_refused_until_refreshed(
    app: AmazonApp, base_url: str, settings: Settings
) -> None:
    app.tokens.ttl_s = 0.3
    params = {"MarketplaceIds": settings.amazon.marketplace_id, "CreatedAfter": LONG_AGO}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        missing = client.get("/orders/v0/orders", params=params)
        assert missing.status_code == 403
        assert missing.json()["errors"][0] == {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "",
        }
        token = _token(client, settings)
        headers = {"x-amz-access-token": token}
        assert client.get("/orders/v0/orders", params=params, headers=headers).status_code == 200
        time.sleep(0.4)
        expired = client.get("/orders/v0/orders", params=params, headers=headers)
        assert expired.status_code == 403
        assert (
            expired.json()["errors"][0]["message"] == "The access token you provided has expired."
        )
        fresh = {"x-amz-access-token": _token(client, settings)}
        assert client.get("/orders/v0/orders", params=params, headers=fresh).status_code == 200


def test_a_tiny_bucket_answers_quota_exceeded_without_retry_after(
    app: AmazonApp, http: httpx.Client, settings: Settings
) -> None:
    app.set_rate("getOrders", rate_per_s=0.01, burst=2)
    params = {"MarketplaceIds": settings.amazon.marketplace_id, "CreatedAfter": LONG_AGO}
    answers = [http.get("/orders/v0/orders", params=params) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.01"
    throttled = answers[2]
    assert "retry-after" not in throttled.headers
    assert throttled.json() == {
        "errors": [
            {
                "code": "QuotaExceeded",
                "message": "You exceeded your quota for the requested resource.",
                "details": "",
            }
        ]
    }
    # Buckets are per operation: another operation is not throttled.
    assert http.get("/orders/v0/orders/none/orderItems").status_code == 404


def test_every_operation_reports_its_own_rate_limit(
    app: AmazonApp, http: httpx.Client, settings: Settings, world: World
) -> None:
    market, seller = settings.amazon.marketplace_id, settings.amazon.seller_id
    with world.lock:
        order = _visible(world)["channel_order_id"][0]
        sku = world.tables["skus"].filter(pl.col("asin").is_not_null())["sku"][0]
    calls = {
        "getOrders": ("/orders/v0/orders", {"MarketplaceIds": market, "CreatedAfter": LONG_AGO}),
        "getOrder": (f"/orders/v0/orders/{order}", {}),
        "getOrderItems": (f"/orders/v0/orders/{order}/orderItems", {}),
        "listFinancialEvents": ("/finances/v0/financialEvents", {}),
        "getInventorySummaries": (
            "/fba/inventory/v1/summaries",
            {"granularityType": "Marketplace", "granularityId": market, "marketplaceIds": market},
        ),
        "getListingsItem": (
            f"/listings/2021-08-01/items/{seller}/{sku}",
            {"marketplaceIds": market},
        ),
    }
    for rank, (operation, (path, params)) in enumerate(calls.items(), start=1):
        app.set_rate(operation, rate_per_s=rank + 0.5, burst=5)
        answer = http.get(path, params=params)
        assert answer.status_code == 200, (operation, answer.text)
        assert answer.headers["x-amzn-RateLimit-Limit"] == f"{rank + 0.5:g}", operation
        assert answer.headers["x-amzn-RequestId"]


def test_get_orders_wants_exactly_one_of_created_after_and_last_updated_after(
    http: httpx.Client, settings: Settings, world: World
) -> None:
    market = settings.amazon.marketplace_id

    def get(**params: str) -> httpx.Response:
        return http.get("/orders/v0/orders", params={"MarketplaceIds": market, **params})

    for bad in (
        get(),
        get(CreatedAfter=LONG_AGO, LastUpdatedAfter=LONG_AGO),
        get(CreatedAfter=LONG_AGO, LastUpdatedBefore=_iso(world.now)),
        get(LastUpdatedAfter=LONG_AGO, LastUpdatedBefore=_iso(world.now + timedelta(hours=1))),
        get(CreatedAfter="yesterday"),
        get(CreatedAfter=LONG_AGO, MaxResultsPerPage="101"),
        http.get("/orders/v0/orders", params={"CreatedAfter": LONG_AGO}),
    ):
        assert bad.status_code == 400, bad.request.url
        assert bad.json()["errors"][0]["code"] == "InvalidInput"
    created = get(CreatedAfter=LONG_AGO, MaxResultsPerPage="5").json()["payload"]
    assert created["CreatedBefore"] == _iso(world.now) and "LastUpdatedBefore" not in created
    updated = get(LastUpdatedAfter=LONG_AGO).json()["payload"]
    assert updated["LastUpdatedBefore"] == _iso(world.now)


def test_next_token_alone_decides_what_comes_next(http: httpx.Client, settings: Settings) -> None:
    market = settings.amazon.marketplace_id
    first = http.get(
        "/orders/v0/orders",
        params={
            "MarketplaceIds": market,
            "CreatedAfter": LONG_AGO,
            "OrderStatuses": "Shipped",
            "MaxResultsPerPage": "5",
        },
    ).json()["payload"]
    token = first["NextToken"]
    second = http.get(
        "/orders/v0/orders",
        params={"MarketplaceIds": market, "NextToken": token, "OrderStatuses": "Pending"},
    ).json()["payload"]
    statuses = {order["OrderStatus"] for order in first["Orders"] + second["Orders"]}
    assert statuses == {"Shipped"} and len(second["Orders"]) == 5
    assert http.get(f"/orders/v0/orders/{first['Orders'][0]['AmazonOrderId']}").status_code == 200
    forged = http.get("/orders/v0/orders", params={"MarketplaceIds": market, "NextToken": "abc"})
    assert forged.status_code == 400


def test_the_duplicates_fault_repeats_orders_but_loses_none(
    sandbox: RunningSandbox, http: httpx.Client, settings: Settings, world: World
) -> None:
    sandbox.set_faults(FaultPlan(duplicates=1.0, seed=3))
    # a page of 20 at a time is many requests: the bucket must not be what this test meets
    app = sandbox.servers["amazon"].app
    assert isinstance(app, AmazonApp)
    app.set_rate("getOrders", rate_per_s=1000, burst=1000)
    market = settings.amazon.marketplace_id
    params = {"MarketplaceIds": market, "LastUpdatedAfter": LONG_AGO, "MaxResultsPerPage": "20"}
    payload = http.get("/orders/v0/orders", params=params).json()["payload"]
    ids = [order["AmazonOrderId"] for order in payload["Orders"]]
    while "NextToken" in payload:
        token = {"MarketplaceIds": market, "NextToken": payload["NextToken"]}
        payload = http.get("/orders/v0/orders", params=token).json()["payload"]
        assert len(payload["Orders"]) <= 20
        ids += [order["AmazonOrderId"] for order in payload["Orders"]]
    assert len(ids) > len(set(ids)), "later pages repeat orders of the page before"
    assert set(ids) == set(_visible(world)["channel_order_id"])


def test_the_late_updates_fault_changes_an_order_behind_the_newest_change(
    sandbox: RunningSandbox, http: httpx.Client, settings: Settings, world: World
) -> None:
    before = _visible(world).select("channel_order_id", "updated_at")
    newest = before["updated_at"].max()
    assert isinstance(newest, datetime)
    sandbox.set_faults(FaultPlan(late_updates=1.0, seed=5))
    params = {"MarketplaceIds": settings.amazon.marketplace_id, "LastUpdatedAfter": LONG_AGO}
    assert http.get("/orders/v0/orders", params=params).status_code == 200
    after = _visible(world).select("channel_order_id", "updated_at")
    changed = after.join(before, on="channel_order_id", suffix="_before").filter(
        pl.col("updated_at") != pl.col("updated_at_before")
    )
    assert changed.height == 1
    moved_to = changed["updated_at"][0]
    assert changed["updated_at_before"][0] < moved_to < newest
    # A connector whose cursor stands at the newest change misses it without a lookback.
    sandbox.set_faults(FaultPlan())
    behind = http.get(
        "/orders/v0/orders", params={**params, "LastUpdatedAfter": _iso(newest)}
    ).json()["payload"]["Orders"]
    assert changed["channel_order_id"][0] not in {order["AmazonOrderId"] for order in behind}


def test_listing_and_order_mistakes_answer_as_amazon_does(
    http: httpx.Client, settings: Settings, world: World
) -> None:
    market, seller = settings.amazon.marketplace_id, settings.amazon.seller_id
    with world.lock:
        sku = world.tables["skus"].filter(pl.col("asin").is_not_null())["sku"][0]
    listed = world.listing_quantity("amazon", sku, MFN_LOCATION)
    missing = http.get("/orders/v0/orders/503-0000000-0000000/orderItems")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NotFound"

    def patch(seller_id: str, item: str, value: list[dict[str, Any]]) -> httpx.Response:
        body = {
            "productType": "PRODUCT",
            "patches": [
                {"op": "replace", "path": "/attributes/fulfillment_availability", "value": value}
            ],
        }
        url = f"/listings/2021-08-01/items/{seller_id}/{item}"
        return http.patch(url, params={"marketplaceIds": market}, json=body)

    default = [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}]
    unknown = patch(seller, "NO-SUCH-SKU", default)
    assert unknown.status_code == 200 and unknown.json()["status"] == "INVALID"
    assert unknown.json()["issues"][0]["severity"] == "ERROR"
    assert patch("A0THERSELLER", sku, default).status_code == 403
    no_channel = patch(seller, sku, [{"quantity": 3}])
    assert no_channel.json()["status"] == "INVALID"
    assert world.listing_quantity("amazon", sku, MFN_LOCATION) == listed, "nothing applied"
    url = f"/listings/2021-08-01/items/{seller}/NO-SUCH-SKU"
    assert http.get(url, params={"marketplaceIds": market}).status_code == 404


# --- Tokens API: Restricted Data Tokens for the buyers' personal data ------------------------


def _rdt(http: httpx.Client, *elements: str, path: str = "/orders/v0/orders") -> httpx.Response:
    resource = {"method": "GET", "path": path, "dataElements": list(elements)}
    return http.post(
        "/tokens/2021-03-01/restrictedDataToken", json={"restrictedResources": [resource]}
    )


def _shipped_orders(
    http: httpx.Client, settings: Settings, token: str, *, status: str = "Shipped"
) -> list[dict[str, Any]]:
    params = {
        "MarketplaceIds": settings.amazon.marketplace_id,
        "LastUpdatedAfter": LONG_AGO,
        "OrderStatuses": status,
        "MaxResultsPerPage": "100",
    }
    answer = http.get("/orders/v0/orders", params=params, headers={"x-amz-access-token": token})
    assert answer.status_code == 200, answer.text
    orders: list[dict[str, Any]] = answer.json()["payload"]["Orders"]
    assert orders
    return orders


def test_the_library_s_tokens_client_gets_an_rdt_that_opens_the_street_of_each_order(
    base_url: str, settings: Settings, http: httpx.Client, app: AmazonApp
) -> None:
    tokens = _library(Tokens, base_url, settings)
    answer = tokens.create_restricted_data_token(
        restrictedResources=[
            {
                "method": "GET",
                "path": "/orders/v0/orders",
                "dataElements": ["buyerInfo", "shippingAddress"],
            }
        ]
    )
    rdt = answer.payload["restrictedDataToken"]
    assert rdt.startswith("Atz.sprdt|") and answer.payload["expiresIn"] > 0
    plain = _shipped_orders(http, settings, str(http.headers["x-amz-access-token"]))
    opened = _shipped_orders(http, settings, rdt)
    assert all("AddressLine1" not in o["ShippingAddress"] for o in plain)
    assert all(
        o["ShippingAddress"]["AddressLine1"] and o["ShippingAddress"]["Name"] for o in opened
    )
    identities = app.world.tables["identities"]
    first = opened[0]
    person = identities.filter(pl.col("email") == first["BuyerInfo"]["BuyerEmail"]).row(
        0, named=True
    )
    assert first["ShippingAddress"]["AddressLine1"] == person["address1"]
    # Amazon never shows the phone of an FBA order, and always the one on a seller-shipped order
    assert all(
        "Phone" not in o["ShippingAddress"] for o in opened if o["FulfillmentChannel"] == "AFN"
    )
    phones = dict(zip(identities["email"], identities["phone"], strict=True))
    mfn = [o for o in opened if o["FulfillmentChannel"] == "MFN"]
    assert mfn, "the retailer ships part of its Amazon orders itself"
    assert all(o["ShippingAddress"]["Phone"] == phones[o["BuyerInfo"]["BuyerEmail"]] for o in mfn)


def test_an_rdt_opens_only_the_resources_it_was_issued_for(
    http: httpx.Client, settings: Settings
) -> None:
    one_order = _rdt(http, "shippingAddress", path="/orders/v0/orders/503-0000000-0000000")
    assert one_order.status_code == 200, one_order.text
    denied = http.get(
        "/orders/v0/orders",
        params={"MarketplaceIds": settings.amazon.marketplace_id, "LastUpdatedAfter": LONG_AGO},
        headers={"x-amz-access-token": one_order.json()["restrictedDataToken"]},
    )
    assert denied.status_code == 403
    assert _rdt(http, "shippingAddress", path="/fba/inventory/v1/summaries").status_code == 400
    assert _rdt(http, "creditCard").status_code == 400


def test_an_app_without_the_restricted_roles_is_refused_an_rdt(
    http: httpx.Client, app: AmazonApp
) -> None:
    app.restricted.pii_role = False
    try:
        answer = _rdt(http, "shippingAddress")
    finally:
        app.restricted.pii_role = True
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "Unauthorized"


def test_buyer_data_needs_an_rdt_for_it_and_zero_amounts_are_often_left_out(
    http: httpx.Client, settings: Settings, app: AmazonApp
) -> None:
    plain = _shipped_orders(http, settings, str(http.headers["x-amz-access-token"]))
    # as SP-API: without an RDT for buyerInfo, BuyerInfo names nobody
    assert all(
        "BuyerEmail" not in o["BuyerInfo"] and "BuyerName" not in o["BuyerInfo"] for o in plain
    )
    items = [
        item
        for order in plain[:60]
        for item in http.get(f"/orders/v0/orders/{order['AmazonOrderId']}/orderItems").json()[
            "payload"
        ]["OrderItems"]
    ]
    without_zero = [i for i in items if "ShippingDiscount" not in i]
    with_zero = [i for i in items if i.get("ShippingDiscount", {}).get("Amount") == "0"]
    # Amazon leaves zero amounts out on some orders and sends them as zero on others
    assert without_zero and with_zero
    points = [i["PointsGranted"] for i in items if "PointsGranted" in i]
    assert 0 < len(points) < len(items)
    assert all(int(p["PointsMonetaryValue"]["Amount"]) == p["PointsNumber"] > 0 for p in points)


def test_amazon_s_published_order_shows_its_buyer_only_to_a_call_with_an_rdt(
    settings: Settings,
) -> None:
    fixture = Path(__file__).parents[2] / "fixtures/amazon/ordersV0_getOrders_example.json"
    published = json.loads(fixture.read_text(encoding="utf-8"))["payload"]["Orders"]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    server = SimulatorServer(
        AmazonApp(empty_world(now), documented=DocumentedAccount(now=now, orders=published))
    ).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            http.headers["x-amz-access-token"] = _token(http, settings)
            plain = _shipped_orders(
                http, settings, http.headers["x-amz-access-token"], status="Pending"
            )
            rdt = _rdt(http, "buyerInfo", "shippingAddress").json()["restrictedDataToken"]
            opened = _shipped_orders(http, settings, rdt, status="Pending")
    finally:
        server.stop()
    assert plain[0]["BuyerInfo"] == {}
    assert plain[0]["ShippingAddress"] == {
        "City": "Canton",
        "StateOrRegion": "MI",
        "PostalCode": "48817",
        "CountryCode": "US",
    }
    assert opened == published  # with the RDT, the order exactly as Amazon published it

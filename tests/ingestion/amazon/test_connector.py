"""The Amazon SP-API connector: tokens, paging, pacing, retries and landing, mocked and live."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import polars as pl
import pytest

from ichigen.ingestion.amazon.client import AmazonClient, AmazonConfig
from ichigen.ingestion.amazon.contracts import (
    inventory_summaries_contract,
    orders_contract,
    refunds_contract,
)
from ichigen.ingestion.amazon.pull import ingest_amazon
from ichigen.ingestion.errors import AuthenticationError, ChannelError
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator
from ichigen.sandbox.simulators import http as simulator_http
from ichigen.sandbox.simulators.amazon import AmazonApp, DocumentedAccount, empty_world
from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.http import SimulatorServer
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings

SECRET = "amzn-client-secret-do-not-log"
REFRESH = "Atzr|refresh-token-do-not-log"
API = "https://sellingpartnerapi-fe.amazon.test"
LWA = "https://api.amazon.test/auth/o2/token"
MARKET = "A1VC38T7YXB528"
CATALOGUE = {"P0001-NVY-M", "P0002-BLK-F"}
CONFIG = AmazonConfig(
    url=API,
    lwa_url=LWA,
    client_id="amzn1.application-oa2-client.test",
    client_secret=SECRET,
    refresh_token=REFRESH,
    marketplace_id=MARKET,
    seller_id="A2SELLER",
)


class FakeTime:
    """A clock that only moves when the client sleeps, so pacing is measured, not waited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        # A real sleep always takes some time; a wait below the clock's precision would
        # otherwise leave a rate limiter spinning on a clock that never moves.
        self.now += max(seconds, 1e-6)

    def clock(self) -> float:
        return self.now


def _order(n: int, *, status: str = "Shipped", minutes: int = 0) -> dict[str, Any]:
    at = (datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    order: dict[str, Any] = {
        "AmazonOrderId": f"503-{n:07d}-0000000",
        "PurchaseDate": at,
        "LastUpdateDate": at,
        "OrderStatus": status,
    }
    if status not in ("Pending", "Canceled"):
        order["OrderTotal"] = {"CurrencyCode": "JPY", "Amount": "4400"}
    return order


def _item(n: int, sku: str = "P0001-NVY-M") -> dict[str, Any]:
    return {
        "OrderItemId": f"{n:014d}",
        "SellerSKU": sku,
        "QuantityOrdered": 2,
        "ItemPrice": {"CurrencyCode": "JPY", "Amount": "4400"},
    }


Route = Callable[[httpx.Request], httpx.Response]


class FakeAmazon:
    """LWA plus the SP-API operations the connector uses, with scripted answers per path."""

    def __init__(self, *, ttl: int = 3600) -> None:
        self.ttl = ttl
        self.issued: list[str] = []
        self.requests: list[httpx.Request] = []
        self.routes: dict[str, Route] = {}
        self.expired: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == LWA:
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert form["grant_type"] == "refresh_token"
            if form["client_secret"] != SECRET or form["refresh_token"] != REFRESH:
                return httpx.Response(
                    401, json={"error": "invalid_client", "error_description": "Client auth"}
                )
            self.issued.append(f"Atza|{len(self.issued)}")
            return httpx.Response(
                200, json={"access_token": self.issued[-1], "expires_in": self.ttl}
            )
        token = request.headers.get("x-amz-access-token")
        if token not in self.issued or token in self.expired:
            message = "The access token you provided has expired."
            return httpx.Response(
                403, json={"errors": [{"code": "Unauthorized", "message": message}]}
            )
        for prefix, route in self.routes.items():
            if request.url.path.startswith(prefix):
                return route(request)
        return httpx.Response(404, json={"errors": [{"code": "NotFound"}]})


def _client(fake: FakeAmazon, time: FakeTime | None = None, **options: Any) -> AmazonClient:
    time = time or FakeTime()
    return AmazonClient(
        CONFIG,
        http=httpx.Client(transport=httpx.MockTransport(fake)),
        retry=RetryPolicy(max_attempts=5, base_delay_s=0.1),
        sleep=time.sleep,
        clock=time.clock,
        **{"rng": random.Random(5), **options},
    )


def _query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}


def _payload(payload: dict[str, Any], rate: str | None = "20") -> httpx.Response:
    headers = {"x-amzn-RateLimit-Limit": rate} if rate else {}
    return httpx.Response(200, json={"payload": payload}, headers=headers)


def _paged_orders(orders: list[dict[str, Any]], size: int = 2) -> Route:
    def route(request: httpx.Request) -> httpx.Response:
        query = _query(request)
        start = int(query.get("NextToken", "0"))
        payload: dict[str, Any] = {
            "Orders": orders[start : start + size],
            "LastUpdatedBefore": "2026-10-31T15:00:00Z",
        }
        if start + size < len(orders):
            payload["NextToken"] = str(start + size)
        return _payload(payload)

    return route


def _items_by_order(items: dict[str, list[dict[str, Any]]], size: int = 1) -> Route:
    def route(request: httpx.Request) -> httpx.Response:
        order_id = request.url.path.split("/")[-2]
        start = int(_query(request).get("NextToken", "0"))
        payload: dict[str, Any] = {
            "AmazonOrderId": order_id,
            "OrderItems": items[order_id][start : start + size],
        }
        if start + size < len(items[order_id]):
            payload["NextToken"] = str(start + size)
        return _payload(payload)

    return route


# --- the client -----------------------------------------------------------------------------


def test_orders_page_by_next_token_which_alone_carries_the_query_on() -> None:
    fake = FakeAmazon()
    fake.routes["/orders/v0/orders"] = _paged_orders([_order(i) for i in range(5)])
    since = datetime(2026, 10, 1, 9, 30, 15, 123456, tzinfo=UTC)
    pages = list(_client(fake).orders(last_updated_after=since))
    assert [len(page.orders) for page in pages] == [2, 2, 1]
    assert pages[0].last_updated_before == "2026-10-31T15:00:00Z"
    calls = [_query(r) for r in fake.requests if r.url.path == "/orders/v0/orders"]
    assert calls[0] == {
        "MarketplaceIds": MARKET,
        "LastUpdatedAfter": "2026-10-01T09:30:15Z",
        "MaxResultsPerPage": "100",
    }
    assert calls[1:] == [
        {"MarketplaceIds": MARKET, "NextToken": "2"},
        {"MarketplaceIds": MARKET, "NextToken": "4"},
    ]


def test_order_items_are_gathered_across_their_pages() -> None:
    fake = FakeAmazon()
    order_id = "503-0000001-0000000"
    fake.routes["/orders/v0/orders/"] = _items_by_order({order_id: [_item(1), _item(2), _item(3)]})
    items = _client(fake).order_items(order_id)
    assert [item["OrderItemId"] for item in items] == [f"{n:014d}" for n in (1, 2, 3)]


class _Ceiling(random.Random):
    """Jitter that always draws its ceiling, so the backoff's growth shows exactly."""

    def uniform(self, a: float, b: float) -> float:
        return b


def _grant_rdt(fake: FakeAmazon) -> Route:
    def route(request: httpx.Request) -> httpx.Response:
        fake.issued.append(f"Atz.sprdt|{len(fake.issued)}")
        return httpx.Response(200, json={"restrictedDataToken": fake.issued[-1], "expiresIn": 3600})

    return route


def test_orders_are_read_with_a_restricted_data_token_for_the_buyers_address() -> None:
    fake = FakeAmazon()
    fake.routes["/tokens/2021-03-01/restrictedDataToken"] = _grant_rdt(fake)
    fake.routes["/orders/v0/orders"] = _paged_orders([_order(i) for i in range(5)])
    client = _client(fake)
    pages = list(client.orders(last_updated_after=datetime(2026, 10, 1, tzinfo=UTC)))
    assert len(pages) == 3 and client.pii_refused is None
    asked = [r for r in fake.requests if r.url.path.startswith("/tokens/")]
    assert len(asked) == 1  # one RDT serves every page
    assert json.loads(asked[0].content) == {
        "restrictedResources": [
            {
                "method": "GET",
                "path": "/orders/v0/orders",
                "dataElements": ["buyerInfo", "shippingAddress"],
            }
        ]
    }
    rdt = fake.issued[-1]
    calls = [r for r in fake.requests if r.url.path == "/orders/v0/orders"]
    assert {r.headers["x-amz-access-token"] for r in calls} == {rdt}
    assert asked[0].headers["x-amz-access-token"].startswith("Atza|")


def test_a_refused_rdt_falls_back_to_the_plain_token_without_personal_data() -> None:
    fake = FakeAmazon()
    fake.routes["/tokens/2021-03-01/restrictedDataToken"] = lambda _: httpx.Response(
        403, json={"errors": [{"code": "Unauthorized", "message": "no access to data elements"}]}
    )
    fake.routes["/orders/v0/orders"] = _paged_orders([_order(i) for i in range(3)])
    client = _client(fake)
    pages = list(client.orders(last_updated_after=datetime(2026, 10, 1, tzinfo=UTC)))
    assert sum(len(p.orders) for p in pages) == 3
    assert client.pii_refused is not None and "403" in client.pii_refused
    calls = [r for r in fake.requests if r.url.path == "/orders/v0/orders"]
    assert all(r.headers["x-amz-access-token"].startswith("Atza|") for r in calls)
    assert len([r for r in fake.requests if r.url.path.startswith("/tokens/")]) == 2  # not again


def test_an_unreachable_tokens_api_is_an_error_not_a_silent_loss_of_personal_data() -> None:
    fake = FakeAmazon()
    fake.routes["/tokens/2021-03-01/restrictedDataToken"] = lambda _: httpx.Response(503)
    fake.routes["/orders/v0/orders"] = _paged_orders([_order(0)])
    with pytest.raises(ChannelError):
        list(_client(fake).orders(last_updated_after=datetime(2026, 10, 1, tzinfo=UTC)))


def test_a_429_without_retry_after_backs_off_exponentially() -> None:
    fake = FakeAmazon()
    answers = iter([httpx.Response(429, json={"errors": [{"code": "QuotaExceeded"}]})] * 3)
    ok = _paged_orders([_order(1)])
    fake.routes["/orders/v0/orders"] = lambda request: next(answers, None) or ok(request)
    time = FakeTime()
    client = _client(fake, time, rates={"getOrders": (10.0, 5)}, rng=_Ceiling())
    pages = list(client.orders(last_updated_after=datetime(2026, 10, 1, tzinfo=UTC)))
    assert len(pages) == 1 and client.retries == 3
    assert time.sleeps == pytest.approx([0.1, 0.2, 0.4])


def test_a_429_drains_the_operations_bucket_so_the_pace_drops_too() -> None:
    fake = FakeAmazon()
    answers = iter([httpx.Response(429, json={"errors": [{"code": "QuotaExceeded"}]})])
    ok = _paged_orders([_order(1)])
    fake.routes["/orders/v0/orders"] = lambda request: next(answers, None) or ok(request)
    time = FakeTime()
    client = _client(fake, time, rates={"getOrders": (1.0, 20)}, rng=_Ceiling())
    list(client.orders(last_updated_after=datetime(2026, 10, 1, tzinfo=UTC)))
    # The backoff (0.1 s) is shorter than a token takes at 1 per second: the limiter waits the
    # rest, though 19 tokens of the burst were left before the 429.
    assert time.sleeps == pytest.approx([0.1, 0.9])


def test_server_errors_and_resets_are_retried_until_an_answer_comes() -> None:
    fake = FakeAmazon()
    answers: Iterator[httpx.Response | Exception] = iter(
        [httpx.Response(503), httpx.RemoteProtocolError("peer closed connection")]
    )
    ok = _items_by_order({"X": [_item(1)]})

    def route(request: httpx.Request) -> httpx.Response:
        answer = next(answers, None)
        if isinstance(answer, Exception):
            raise answer
        return answer or ok(request)

    fake.routes["/orders/v0/orders/"] = route
    client = _client(fake)
    assert [i["OrderItemId"] for i in client.order_items("X")] == [f"{1:014d}"]
    assert client.retries == 2


def test_the_access_token_is_reused_until_shortly_before_it_expires() -> None:
    fake = FakeAmazon(ttl=3600)
    fake.routes["/fba/inventory/v1/summaries"] = lambda _: _payload({"inventorySummaries": []})
    time = FakeTime()
    client = _client(fake, time)
    list(client.inventory_summaries())
    time.now += 3500
    list(client.inventory_summaries())
    assert len(fake.issued) == 1
    time.now += 45  # 3545 s old: within the last minute of its hour
    list(client.inventory_summaries())
    assert len(fake.issued) == 2
    used = [
        r.headers["x-amz-access-token"] for r in fake.requests if "x-amz-access-token" in r.headers
    ]
    assert used == ["Atza|0", "Atza|0", "Atza|1"]


def test_a_403_for_an_expired_token_fetches_a_new_one_and_repeats_the_call() -> None:
    fake = FakeAmazon()
    fake.routes["/fba/inventory/v1/summaries"] = lambda _: _payload({"inventorySummaries": []})
    client = _client(fake)
    list(client.inventory_summaries())
    fake.expired.add("Atza|0")  # Amazon's clock ran ahead of ours
    list(client.inventory_summaries())
    assert fake.issued == ["Atza|0", "Atza|1"]


def test_a_second_403_is_a_real_refusal() -> None:
    fake = FakeAmazon()
    fake.routes["/fba/inventory/v1/summaries"] = lambda _: httpx.Response(
        403, json={"errors": [{"code": "Unauthorized", "message": "Access denied."}]}
    )
    with pytest.raises(AuthenticationError, match="ICHIGEN_AMAZON_"):
        list(_client(fake).inventory_summaries())
    assert len(fake.issued) == 2


def test_refused_lwa_credentials_name_the_variables_but_never_their_values() -> None:
    wrong = replace(CONFIG, client_secret="wrong-secret-value")
    fake = FakeAmazon()
    client = AmazonClient(wrong, http=httpx.Client(transport=httpx.MockTransport(fake)))
    with pytest.raises(AuthenticationError) as caught:
        list(client.inventory_summaries())
    message = str(caught.value)
    assert "ICHIGEN_AMAZON_CLIENT_SECRET" in message and "invalid_client" in message
    for secret in ("wrong-secret-value", REFRESH):
        assert secret not in message and secret not in repr(client) and secret not in repr(wrong)


def test_each_operation_paces_itself_at_the_rate_amazon_announces() -> None:
    fake = FakeAmazon()
    fake.routes["/fba/inventory/v1/summaries"] = lambda _: _payload(
        {"inventorySummaries": []}, rate="4"
    )
    fake.routes["/orders/v0/orders"] = _paged_orders([])
    time = FakeTime()
    client = _client(fake, time, rates={"getInventorySummaries": (1.0, 1)})
    for _ in range(3):
        list(client.inventory_summaries())
    assert client.limiters["getInventorySummaries"].rate_per_s == 4.0
    assert time.sleeps == pytest.approx([0.25, 0.25])  # one token every quarter second
    # Another operation keeps its own bucket: getOrders still has its burst of 20.
    list(client.orders(last_updated_after=datetime(2026, 10, 1, tzinfo=UTC)))
    assert len(time.sleeps) == 2


def test_setting_a_quantity_replaces_the_mfn_fulfillment_availability() -> None:
    fake = FakeAmazon()
    bodies: list[Any] = []

    def route(request: httpx.Request) -> httpx.Response:
        assert request.method == "PATCH"
        path = request.url.raw_path.decode().partition("?")[0]
        assert path == "/listings/2021-08-01/items/A2SELLER/P0001%2FNVY%20M"
        assert _query(request) == {"marketplaceIds": MARKET}
        bodies.append(json.loads(request.content))
        status = "ACCEPTED" if bodies[-1]["patches"][0]["value"][0]["quantity"] >= 0 else "INVALID"
        issues = (
            []
            if status == "ACCEPTED"
            else [{"message": "The provided value for 'Quantity' is invalid."}]
        )
        return httpx.Response(200, json={"sku": "x", "status": status, "issues": issues})

    fake.routes["/listings/"] = route
    client = _client(fake)
    assert client.set_quantity("P0001/NVY M", 17)["status"] == "ACCEPTED"
    assert bodies[0] == {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 17}],
            }
        ],
    }
    with pytest.raises(ChannelError, match="'Quantity' is invalid"):
        client.set_quantity("P0001/NVY M", -1)


# --- landing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validators() -> dict[str, BatchValidator]:
    """One validator per entity for the module: a Great Expectations context takes a while."""
    return {
        "orders": BatchValidator(orders_contract(CATALOGUE)),
        "refunds": BatchValidator(refunds_contract(CATALOGUE)),
        "inventory_summaries": BatchValidator(inventory_summaries_contract(CATALOGUE)),
    }


def test_orders_land_with_their_items_and_unknown_skus_are_quarantined_with_the_reason(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    orders = [_order(1, minutes=1), _order(2, minutes=2), _order(3, status="Pending", minutes=3)]
    items = {
        orders[0]["AmazonOrderId"]: [_item(1), _item(2, "P0002-BLK-F")],
        orders[1]["AmazonOrderId"]: [_item(3), _item(4, "NOT-IN-CATALOGUE")],
        orders[2]["AmazonOrderId"]: [{**_item(5), "ItemPrice": None}],
    }
    fake = FakeAmazon()
    fake.routes["/orders/v0/orders/"] = _items_by_order(items)
    anonymous = {**_order(4, minutes=4), "AmazonOrderId": None}  # no items can be asked for
    fake.routes["/orders/v0/orders"] = _paged_orders([*orders, anonymous])
    zone = LandingZone(tmp_path / "landing")
    manifest = ingest_amazon(_client(fake), zone, "orders", validator=validators["orders"])
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (4, 2, 2)
    assert manifest.cursor_start is None
    assert manifest.cursor_end == "2026-10-31T15:00:00+00:00"
    landed = zone.scan("amazon", "orders").collect().sort("_record_key")
    first = json.loads(landed["_raw"][0])
    assert [i["SellerSKU"] for i in first["OrderItems"]] == ["P0001-NVY-M", "P0002-BLK-F"]
    quarantined = zone.scan_quarantine("amazon", "orders").collect().sort("_record_key")
    assert quarantined["_record_key"].to_list() == ["", orders[1]["AmazonOrderId"]]
    assert "column=AmazonOrderId" in quarantined["_reasons"][0][0]
    assert "got 'NOT-IN-CATALOGUE'" in quarantined["_reasons"][1][0]

    again = ingest_amazon(
        _client(fake), zone, "orders", lookback=timedelta(minutes=2), validator=validators["orders"]
    )
    assert again.cursor_start == "2026-10-01T00:02:00+00:00"  # 00:04 landed, minus 2 minutes


def test_refunds_and_fba_stock_land_with_their_keys(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    refund = {
        "AmazonOrderId": "503-0000001-0000000",
        "PostedDate": "2026-10-05T01:02:03Z",
        "ShipmentItemAdjustmentList": [
            {
                "SellerSKU": "P0001-NVY-M",
                "QuantityShipped": 1,
                "ItemChargeAdjustmentList": [
                    {
                        "ChargeType": "Principal",
                        "ChargeAmount": {"CurrencyCode": "JPY", "CurrencyAmount": -2000.0},
                    },
                    {
                        "ChargeType": "Tax",
                        "ChargeAmount": {"CurrencyCode": "JPY", "CurrencyAmount": -200.0},
                    },
                ],
            }
        ],
    }
    summary = {
        "sellerSku": "P0002-BLK-F",
        "lastUpdatedTime": "",
        "totalQuantity": 4,
        "inventoryDetails": {"fulfillableQuantity": 4},
    }
    fake = FakeAmazon()
    events = {"FinancialEvents": {"RefundEventList": [refund]}}
    fake.routes["/finances/v0/financialEvents"] = lambda _: _payload(events)
    fake.routes["/fba/inventory/v1/summaries"] = lambda _: _payload(
        {"inventorySummaries": [summary]}
    )
    zone = LandingZone(tmp_path / "landing")
    client = _client(fake)
    refunds = ingest_amazon(client, zone, "refunds", validator=validators["refunds"])
    stock = ingest_amazon(
        client, zone, "inventory_summaries", validator=validators["inventory_summaries"]
    )
    assert refunds.accepted == 1 and stock.accepted == 1
    assert refunds.max_record_updated_at == "2026-10-05T01:02:03+00:00"
    assert zone.scan("amazon", "refunds").collect()["_record_key"].to_list() == [
        "503-0000001-0000000@2026-10-05T01:02:03Z"
    ]
    assert zone.scan("amazon", "inventory_summaries").collect()["_record_key"].to_list() == [
        "P0002-BLK-F"
    ]
    ingest_amazon(client, zone, "refunds", validator=validators["refunds"])
    finance_calls = [r for r in fake.requests if r.url.path == "/finances/v0/financialEvents"]
    assert "PostedAfter" not in _query(finance_calls[0])
    assert _query(finance_calls[1])["PostedAfter"] == "2026-10-05T00:02:03Z"


# --- against the simulator, over real sockets -----------------------------------------------


@pytest.fixture(autouse=True)
def _simulators_answer_without_nagle_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    # The simulators' stdlib server writes headers and body in separate segments; with Nagle's
    # algorithm on, each keep-alive answer then waits ~40 ms for a delayed ACK, which turns a
    # one-call-per-order ingest into minutes. Real APIs do not behave so; the sandbox should set
    # this itself (reported), until then the tests do.
    monkeypatch.setattr(simulator_http._Handler, "disable_nagle_algorithm", True)


def _latest(zone: LandingZone, entity: str) -> pl.DataFrame:
    """What staging will keep: the latest version of each record."""
    landed = zone.scan("amazon", entity).collect()
    return landed.sort("_record_updated_at", "_loaded_at").unique(
        "_record_key", keep="last", maintain_order=False
    )


@pytest.fixture
def app(sandbox: RunningSandbox) -> AmazonApp:
    amazon = sandbox.servers["amazon"].app
    assert isinstance(amazon, AmazonApp)
    # Order items are fetched one order at a time; the sandbox's 30 per second would make a
    # full ingest of the small world take a minute. The client adopts whatever rate is announced.
    amazon.set_rate("getOrderItems", rate_per_s=5000, burst=5000)
    return amazon


@pytest.fixture
def sim(app: AmazonApp, sandbox: RunningSandbox, settings: Settings) -> Iterator[AmazonClient]:
    account = settings.amazon
    amazon = AmazonConfig(
        url=sandbox.urls["amazon"],
        lwa_url=f"{sandbox.urls['amazon']}/auth/o2/token",
        client_id=account.client_id,
        client_secret=account.client_secret.get_secret_value(),
        refresh_token=account.refresh_token.get_secret_value(),
        marketplace_id=account.marketplace_id,
        seller_id=account.seller_id,
    )
    # Short backoffs: the simulator recovers at once, and a fault run makes hundreds of retries.
    with AmazonClient(
        amazon, retry=RetryPolicy(max_attempts=10, base_delay_s=0.01, max_delay_s=0.5)
    ) as client:
        yield client


@pytest.fixture
def catalogue(world: World) -> set[str]:
    return set(world.tables["skus"]["sku"])


def _truth(world: World) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with world.lock:
        orders = world.visible_orders("amazon")
        lines = world.lines_of(orders["order_id"])
        refunds = world.visible_returns().join(orders, on="order_id", how="semi")
    return orders, lines, refunds


def test_a_full_ingest_lands_exactly_the_orders_items_and_refunds_amazon_shows(
    app: AmazonApp, sim: AmazonClient, settings: Settings, world: World, catalogue: set[str]
) -> None:
    app.tokens.ttl_s = 1.0  # so that the ingest outlives its first token
    zone = LandingZone.under(settings.paths)
    manifests = {
        entity: ingest_amazon(sim, zone, entity, catalogue=catalogue)
        for entity in ("orders", "refunds", "inventory_summaries")
    }
    orders, lines, refunds = _truth(world)
    assert manifests["orders"].quarantined == 0
    assert manifests["orders"].accepted == orders.height
    assert manifests["orders"].cursor_end == world.now.isoformat()
    landed = [json.loads(raw) for raw in _latest(zone, "orders")["_raw"]]
    assert {o["AmazonOrderId"] for o in landed} == set(orders["channel_order_id"])
    items = [item for order in landed for item in order["OrderItems"]]
    assert {i["OrderItemId"] for i in items} == set(lines["channel_line_id"])
    # items are asked for several orders at a time: each must land with its own order
    owners = lines.join(orders.select("order_id", "channel_order_id"), on="order_id")
    owner = dict(zip(owners["channel_line_id"], owners["channel_order_id"], strict=True))
    assert all(
        owner[i["OrderItemId"]] == o["AmazonOrderId"] for o in landed for i in o["OrderItems"]
    )
    # Amazon shows no total for pending (unpaid) and cancelled orders, nor quantities for the
    # items of cancelled ones.
    priced = orders.filter(
        pl.col("cancelled_at").is_null()
        & (
            pl.col("paid_at").is_not_null()
            | pl.col("shipped_at").is_not_null()
            | pl.col("payment_method").is_in(["cod", "invoice"])
        )
    )
    totals = sum(int(o["OrderTotal"]["Amount"]) for o in landed if "OrderTotal" in o)
    assert totals == priced["total_jpy"].sum()
    live_lines = lines.join(orders.filter(pl.col("cancelled_at").is_null()), on="order_id")
    assert sum(i["QuantityOrdered"] for i in items) == live_lines["quantity"].sum()
    assert manifests["refunds"].quarantined == 0
    refunded = [
        item
        for event in (json.loads(r) for r in _latest(zone, "refunds")["_raw"])
        for item in event["ShipmentItemAdjustmentList"]
    ]
    assert len(refunded) == refunds.height
    assert sum(item["QuantityShipped"] for item in refunded) == refunds["quantity"].sum()
    assert manifests["inventory_summaries"].accepted > 0
    assert sim.tokens.exchanges > 1, "the short-lived token should have been refreshed"
    raws = " ".join(zone.scan("amazon", "orders").collect()["_raw"].head(50))
    assert (
        settings.amazon.refresh_token.get_secret_value() not in raws
        and settings.amazon.client_secret.get_secret_value() not in raws
    )


def test_the_simulator_grants_an_rdt_and_orders_carry_the_street_and_recipient(
    sim: AmazonClient, app: AmazonApp
) -> None:
    orders = [
        order
        for page in sim.orders(last_updated_after=datetime(2000, 1, 1, tzinfo=UTC))
        for order in page.orders
    ]
    assert sim.pii_refused is None and app.restricted.issued == 1
    shipped = [o for o in orders if o["OrderStatus"] == "Shipped"]
    assert shipped and all(o["ShippingAddress"].get("AddressLine1") for o in shipped)


def test_ingesting_twice_adds_nothing_after_dedupe(
    app: AmazonApp, sim: AmazonClient, settings: Settings, catalogue: set[str]
) -> None:
    zone = LandingZone.under(settings.paths)
    ingest_amazon(sim, zone, "orders", catalogue=catalogue)
    once = _latest(zone, "orders").select("_record_key", "_record_updated_at").sort("_record_key")
    second = ingest_amazon(sim, zone, "orders", catalogue=catalogue)
    assert 0 < second.records < once.height, "the second pull re-reads only the lookback"
    twice = _latest(zone, "orders").select("_record_key", "_record_updated_at").sort("_record_key")
    assert twice.equals(once)


@pytest.mark.slow
def test_with_faults_on_the_deduplicated_result_equals_a_clean_run(
    app: AmazonApp,
    sandbox: RunningSandbox,
    sim: AmazonClient,
    settings: Settings,
    world: World,
    catalogue: set[str],
) -> None:
    faulty = LandingZone(settings.data_dir / "faulty")
    chaos = FaultPlan.chaos(seed=13, intensity=0.03).to_dict()
    # Slow answers (0.3 s, far inside the client's timeout) only add waiting to this test.
    sandbox.servers["amazon"].faults.plan = FaultPlan(**{**chaos, "slow": 0.0})
    ingest_amazon(sim, faulty, "orders", catalogue=catalogue)
    sandbox.servers["amazon"].faults.plan = FaultPlan()
    # Late edits made behind our position while paging are caught by the next pull's lookback.
    ingest_amazon(sim, faulty, "orders", catalogue=catalogue)
    assert sim.retries > 0, "the faults should have been felt"
    landed = faulty.scan("amazon", "orders").collect()
    assert landed.height > landed["_record_key"].n_unique(), "and orders landed twice"

    clean = LandingZone(settings.data_dir / "clean")
    ingest_amazon(sim, clean, "orders", catalogue=catalogue)

    def result(zone: LandingZone) -> pl.DataFrame:
        latest = _latest(zone, "orders")
        return latest.select("_record_key", "_record_updated_at", "_raw").sort("_record_key")

    assert result(faulty).equals(result(clean))
    orders, _, _ = _truth(world)
    assert result(clean).height == orders.height


# --- refunds beyond one Finances window, from a documented account over real sockets --------


def _refund_event(n: int, posted: datetime, *, restocking_fee: float = 0.0) -> dict[str, Any]:
    charges = [
        {
            "ChargeType": "Principal",
            "ChargeAmount": {"CurrencyCode": "JPY", "CurrencyAmount": -2000.0},
        },
        {"ChargeType": "Tax", "ChargeAmount": {"CurrencyCode": "JPY", "CurrencyAmount": -200.0}},
    ]
    if restocking_fee:
        charges.append(
            {
                "ChargeType": "RestockingFee",
                "ChargeAmount": {"CurrencyCode": "JPY", "CurrencyAmount": restocking_fee},
            }
        )
    return {
        "AmazonOrderId": f"503-{n:07d}-0000000",
        "PostedDate": posted.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ShipmentItemAdjustmentList": [
            {"SellerSKU": "P0001-NVY-M", "QuantityShipped": 1, "ItemChargeAdjustmentList": charges}
        ],
    }


def test_refunds_older_than_one_finances_window_are_walked_back_window_by_window(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    ages = {1: 10, 2: 200, 3: 400, 4: 700, 5: 800}  # days before Amazon's now
    events = [_refund_event(n, now - timedelta(days=age)) for n, age in ages.items()]
    events[1] = _refund_event(2, now - timedelta(days=200), restocking_fee=220.0)
    account = DocumentedAccount(
        now=now,
        orders=[_order(1)],
        order_items={_order(1)["AmazonOrderId"]: [_item(1)]},
        refund_events=events,
    )
    server = SimulatorServer(AmazonApp(empty_world(now), documented=account)).start()
    sandbox = SANDBOX_CREDENTIALS.amazon
    config = AmazonConfig(
        url=server.base_url,
        lwa_url=f"{server.base_url}/auth/o2/token",
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        refresh_token=sandbox.refresh_token,
        marketplace_id=sandbox.marketplace_id,
        seller_id=sandbox.seller_id,
    )
    zone = LandingZone(tmp_path / "landing")
    try:
        with AmazonClient(config) as client:
            # without landed orders Amazon's clock is unknown: its default window, 180 days
            only_recent = ingest_amazon(client, zone, "refunds", validator=validators["refunds"])
            # getOrders echoes Amazon's now, which anchors the windows: the next refunds pull
            # walks the history it has not reached yet, although it has a cursor
            ingest_amazon(client, zone, "orders", validator=validators["orders"])
            walked = ingest_amazon(client, zone, "refunds", validator=validators["refunds"])
            again = ingest_amazon(client, zone, "refunds", validator=validators["refunds"])
    finally:
        server.stop()
    assert only_recent.accepted == 1
    assert again.records == 1  # the cursor's window only (minus the lookback): the latest
    # two years back: every refund but the one of 800 days ago, the restocking fee accepted
    assert (walked.records, walked.accepted, walked.quarantined) == (4, 4, 0)
    keys = sorted(set(zone.scan("amazon", "refunds").collect()["_record_key"].str.slice(0, 19)))
    assert keys == [f"503-{n:07d}-0000000" for n in (1, 2, 3, 4)]

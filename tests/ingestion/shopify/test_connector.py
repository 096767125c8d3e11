"""The Shopify connector: paging, pacing, retries and landing, against mocks and the simulator."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import polars as pl
import pytest

from ichigen.ingestion.errors import AuthenticationError
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.shopify.client import ShopifyClient
from ichigen.ingestion.shopify.contracts import (
    customers_contract,
    inventory_levels_contract,
    locations_contract,
    orders_contract,
)
from ichigen.ingestion.shopify.pull import ingest_shopify
from ichigen.ingestion.validation import BatchValidator
from ichigen.sandbox.simulators import http as simulator_http
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings

TOKEN = "shpat_test_secret"
SHOP = "https://shop.test"
ADMIN = f"{SHOP}/admin/api/2024-10"
CATALOGUE = {"P0001-NVY-M", "P0002-BLK-F"}


class FakeTime:
    """A clock that only moves when the client sleeps, so pacing is measured, not waited."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        # A real sleep always takes some time; a wait below the clock's precision would
        # otherwise leave a rate limiter spinning on a clock that never moves.
        self.now += max(seconds, 1e-6)

    def clock(self) -> float:
        return self.now


Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, time: FakeTime | None = None, **options: Any) -> ShopifyClient:
    time = time or FakeTime()
    return ShopifyClient(
        url=SHOP,
        access_token=TOKEN,
        api_version="2024-10",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        retry=RetryPolicy(max_attempts=5, base_delay_s=0.1),
        sleep=time.sleep,
        clock=time.clock,
        rng=random.Random(3),
        **options,
    )


def _order(order_id: int, *, sku: str = "P0001-NVY-M", minutes: int = 0) -> dict[str, Any]:
    at = (datetime(2026, 10, 1, 9, tzinfo=UTC) + timedelta(minutes=minutes)).isoformat()
    return {
        "id": order_id,
        "financial_status": "paid",
        "fulfillment_status": None,
        "currency": "JPY",
        "created_at": at,
        "updated_at": at,
        "total_price": "4400",
        "line_items": [{"id": order_id * 10, "sku": sku, "quantity": 2, "price": "2200"}],
    }


def _ok(payload: Any, *, link: str | None = None, used: int = 1) -> httpx.Response:
    headers = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/40"}
    if link:
        headers["Link"] = link
    return httpx.Response(200, json=payload, headers=headers)


def _query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


class PagedShop:
    """Serves `orders` in pages of `size` with Shopify's Link header and opaque page_info."""

    def __init__(self, orders: list[dict[str, Any]], *, size: int = 2) -> None:
        self.orders = orders
        self.size = size
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["X-Shopify-Access-Token"] == TOKEN
        query = _query(request)
        start = int(query.get("page_info", "p0")[1:])
        if "page_info" in query:
            assert set(query) <= {"page_info", "limit"}, "only limit may go with page_info"
        end = start + self.size
        link = None
        if end < len(self.orders):
            link = f'<{ADMIN}/orders.json?limit=250&page_info=p{end}>; rel="next"'
            if start:
                link = f'<{ADMIN}/orders.json?limit=250&page_info=p0>; rel="previous", ' + link
        return _ok({"orders": self.orders[start:end]}, link=link)


# --- the client -----------------------------------------------------------------------------


def test_orders_are_paged_by_following_the_link_headers_next_url() -> None:
    shop = PagedShop([_order(i) for i in range(1, 6)])
    since = datetime(2026, 10, 1, tzinfo=UTC)
    pages = list(_client(shop).orders(updated_at_min=since))
    assert [[o["id"] for o in page] for page in pages] == [[1, 2], [3, 4], [5]]
    first = _query(shop.requests[0])
    assert first == {
        "status": "any",
        "limit": "250",
        "order": "updated_at asc",
        "updated_at_min": "2026-10-01T00:00:00+00:00",
    }
    assert [_query(r).get("page_info") for r in shop.requests[1:]] == ["p2", "p4"]


def test_a_429_waits_as_long_as_retry_after_says_and_then_carries_on() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "2.0"}, json={"errors": "Exceeded"}),
            _ok({"orders": [_order(1)]}),
        ]
    )
    time = FakeTime()
    client = _client(lambda _: next(answers), time)
    assert [o["id"] for page in client.orders() for o in page] == [1]
    assert 2.0 in time.sleeps and client.http.retries == 1


def test_server_errors_and_broken_bodies_are_retried_until_a_page_arrives() -> None:
    answers: Iterator[httpx.Response | Exception] = iter(
        [
            httpx.Response(502),
            httpx.Response(200, content=b'{"orders": [{"id"'),  # complete, but not JSON
            httpx.ReadError("connection reset by peer"),
            _ok({"orders": [_order(1)]}),
        ]
    )

    def handler(_: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = _client(handler)
    assert [o["id"] for page in client.orders() for o in page] == [1]
    assert client.http.retries == 3


def test_a_nearly_full_call_bucket_slows_requests_to_the_leak_rate() -> None:
    time = FakeTime()
    used = iter([5, 6, 33, 34, 35, 20])

    def handler(request: httpx.Request) -> httpx.Response:
        return _ok({"locations": []}, used=next(used))

    client = _client(handler, time)
    for _ in range(6):
        list(client.locations())
    # Two answers in the free part of the bucket, then one leak interval (0.5 s) before each
    # request that follows an answer at or above 80% (32 of 40).
    assert time.sleeps == pytest.approx([0.5, 0.5, 0.5])
    assert client.pacer.slowdowns == 3


def test_a_plus_plans_larger_bucket_raises_the_pace_and_a_standard_one_keeps_it() -> None:
    capacities = iter([40, 400, 40])

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"X-Shopify-Shop-Api-Call-Limit": f"1/{next(capacities)}"}
        return httpx.Response(200, json={"locations": []}, headers=headers)

    client = _client(handler, FakeTime())
    list(client.locations())
    assert client.limiter.rate_per_s == 2.0
    list(client.locations())
    assert client.limiter.rate_per_s == 20.0  # 400 drains in 20 s at 20/s
    list(client.locations())
    assert client.limiter.rate_per_s == 20.0  # never slower than a pace already known


def test_an_empty_bucket_costs_no_waiting() -> None:
    time = FakeTime()
    client = _client(lambda _: _ok({"locations": [{"id": 1, "name": "渋谷店"}]}), time)
    for _ in range(10):
        list(client.locations())
    assert time.sleeps == []


def test_inventory_levels_are_asked_for_fifty_locations_at_a_time() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(_query(request))
        return _ok({"inventory_levels": []})

    list(_client(handler).inventory_levels(range(1, 121)))
    assert [len(q["location_ids"].split(",")) for q in seen] == [50, 50, 20]
    assert all(q["limit"] == "250" for q in seen)


def test_setting_stock_posts_the_absolute_quantity() -> None:
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path.endswith("inventory_levels/set.json")
        bodies.append(json.loads(request.content))
        return _ok({"inventory_level": {**bodies[-1], "updated_at": "2026-10-01T09:00:00+09:00"}})

    level = _client(handler).set_inventory_level(location_id=7, inventory_item_id=8, available=12)
    assert bodies == [{"location_id": 7, "inventory_item_id": 8, "available": 12}]
    assert level["available"] == 12


def test_refused_credentials_fail_at_once_without_showing_the_token() -> None:
    client = _client(lambda _: httpx.Response(401, json={"errors": "[API] Invalid API key"}))
    with pytest.raises(AuthenticationError) as caught:
        list(client.orders())
    assert "ICHIGEN_SHOPIFY_" in str(caught.value)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(client)


# --- landing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validators() -> dict[str, BatchValidator]:
    """One validator per entity for the module: a Great Expectations context takes a while."""
    return {
        "orders": BatchValidator(orders_contract(CATALOGUE)),
        "customers": BatchValidator(customers_contract()),
        "locations": BatchValidator(locations_contract()),
        "inventory_levels": BatchValidator(inventory_levels_contract()),
    }


def test_an_ingest_lands_good_orders_and_lines_without_sku_and_quarantines_unknown_skus(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    orders = [_order(i, minutes=i) for i in range(1, 6)]
    orders[1] = _order(2, sku="NOT-IN-CATALOGUE", minutes=2)
    orders[3]["line_items"][0]["sku"] = None
    orders[4]["currency"] = "USD"
    zone = LandingZone(tmp_path / "landing")
    manifest = ingest_shopify(
        _client(PagedShop(orders)), zone, "orders", validator=validators["orders"], part_rows=2
    )
    # order 4's line has no SKU: a custom item, a tip or a gift card, kept as a non-stock line
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (5, 3, 2)
    landed = zone.scan("shopify", "orders").collect()
    assert sorted(landed["_record_key"]) == ["1", "3", "4"]
    assert landed["_source"].unique().to_list() == [f"{ADMIN}/orders.json"]
    quarantined = zone.scan_quarantine("shopify", "orders").collect().sort("_record_key")
    reasons = dict(zip(quarantined["_record_key"], quarantined["_reasons"].to_list(), strict=True))
    assert "'NOT-IN-CATALOGUE'" in reasons["2"][0] and "column=sku" in reasons["2"][0]
    assert "got 'USD'" in reasons["5"][0]
    assert json.loads(quarantined["_raw"][0])["id"] == 2, "the raw record is kept for replay"


def test_the_next_ingest_asks_from_the_landed_cursor_minus_the_lookback(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    zone = LandingZone(tmp_path / "landing")
    shop = PagedShop([_order(i, minutes=10 * i) for i in range(1, 4)])
    first = ingest_shopify(_client(shop), zone, "orders", validator=validators["orders"])
    assert first.cursor_start is None and "updated_at_min" not in _query(shop.requests[0])
    asked = len(shop.requests)
    second = ingest_shopify(
        _client(shop),
        zone,
        "orders",
        lookback=timedelta(minutes=15),
        validator=validators["orders"],
    )
    # The newest landed change was 09:30 UTC; 15 minutes of lookback re-read from 09:15.
    assert second.cursor_start == "2026-10-01T09:15:00+00:00"
    assert _query(shop.requests[asked])["updated_at_min"] == "2026-10-01T09:15:00+00:00"


def test_inventory_levels_land_as_a_snapshot_keyed_by_item_and_location(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("locations.json"):
            return _ok({"locations": [{"id": 11, "name": "倉庫"}, {"id": 12, "name": "渋谷"}]})
        assert _query(request)["location_ids"] == "11,12"
        assert "updated_at_min" not in _query(request)
        level = {"inventory_item_id": 5, "available": 3, "updated_at": "2026-10-01T09:00:00Z"}
        return _ok({"inventory_levels": [level | {"location_id": 11}, level | {"location_id": 12}]})

    zone = LandingZone(tmp_path / "landing")
    for _ in range(2):
        manifest = ingest_shopify(
            _client(handler), zone, "inventory_levels", validator=validators["inventory_levels"]
        )
        assert manifest.cursor_start is None and manifest.accepted == 2
    keys = zone.scan("shopify", "inventory_levels").collect()["_record_key"].to_list()
    assert sorted(keys) == ["5:11", "5:11", "5:12", "5:12"]


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
    landed = zone.scan("shopify", entity).collect()
    return landed.sort("_record_updated_at", "_loaded_at").unique(
        "_record_key", keep="last", maintain_order=False
    )


def _orders_truth(world: World) -> pl.DataFrame:
    with world.lock:
        return world.visible_orders("shopify")


@pytest.fixture
def sim(sandbox: RunningSandbox, settings: Settings) -> Iterator[ShopifyClient]:
    """A client of the running simulator, built the way production builds it: from settings."""
    shopify = settings.shopify
    with ShopifyClient(
        url=sandbox.urls["shopify"],
        access_token=shopify.access_token.get_secret_value(),
        api_version=shopify.api_version,
        retry=RetryPolicy(max_attempts=10, base_delay_s=0.05, max_delay_s=1.0),
    ) as client:
        yield client


@pytest.fixture
def catalogue(world: World) -> set[str]:
    return set(world.tables["skus"]["sku"])


def _ingest_all(client: ShopifyClient, zone: LandingZone, catalogue: set[str]) -> dict[str, Any]:
    return {
        entity: ingest_shopify(client, zone, entity, catalogue=catalogue)
        for entity in ("orders", "customers", "locations", "inventory_levels")
    }


def test_a_full_ingest_lands_exactly_the_orders_the_shop_shows(
    sim: ShopifyClient, settings: Settings, world: World, catalogue: set[str]
) -> None:
    zone = LandingZone.under(settings.paths)
    manifests = _ingest_all(sim, zone, catalogue)
    truth = _orders_truth(world)
    orders = manifests["orders"]
    assert orders.quarantined == 0 and orders.accepted == truth.height
    landed = [json.loads(raw) for raw in _latest(zone, "orders")["_raw"]]
    assert {str(o["id"]) for o in landed} == set(truth["channel_order_id"])
    assert sum(int(o["total_price"]) for o in landed) == truth["total_jpy"].sum()
    with world.lock:
        lines = world.lines_of(truth["order_id"])
        shop_locations = world.tables["locations"].filter(
            pl.col("shopify_location_id").is_not_null()
        )
        levels = world.tables["listings"].filter(
            (pl.col("channel") == "shopify")
            & pl.col("location_id").is_in(shop_locations["location_id"].implode())
        )
    assert sum(len(o["line_items"]) for o in landed) == lines.height
    assert sum(i["quantity"] for o in landed for i in o["line_items"]) == lines["quantity"].sum()
    assert manifests["locations"].accepted == shop_locations.height
    assert manifests["inventory_levels"].accepted == levels.height
    with world.lock:
        customers = world.tables["identities"].filter(
            (pl.col("channel") == "shopify") & (pl.col("created_at") <= world.now)
        )
    assert manifests["customers"].accepted == customers.height
    assert manifests["customers"].quarantined == 0
    raws = " ".join(zone.scan("shopify", "orders").collect()["_raw"].head(50))
    assert settings.shopify.access_token.get_secret_value() not in raws


def test_ingesting_twice_adds_nothing_after_dedupe(
    sim: ShopifyClient, settings: Settings, world: World, catalogue: set[str]
) -> None:
    zone = LandingZone.under(settings.paths)
    ingest_shopify(sim, zone, "orders", catalogue=catalogue)
    once = _latest(zone, "orders").select("_record_key", "_record_updated_at").sort("_record_key")
    second = ingest_shopify(sim, zone, "orders", catalogue=catalogue)
    # The second pull re-reads only the lookback window, and adds no new key.
    assert 0 < second.records < once.height
    twice = _latest(zone, "orders").select("_record_key", "_record_updated_at").sort("_record_key")
    assert twice.equals(once)


@pytest.mark.slow
def test_with_faults_on_the_deduplicated_result_equals_a_clean_run(
    sandbox: RunningSandbox,
    sim: ShopifyClient,
    settings: Settings,
    world: World,
    catalogue: set[str],
) -> None:
    faulty = LandingZone(settings.data_dir / "faulty")
    plan = FaultPlan.chaos(seed=21, intensity=0.08)
    # One 429 per burst: each waits Retry-After (2 s) and the test should stay quick.
    sandbox.servers["shopify"].faults.plan = FaultPlan(**{**plan.to_dict(), "burst_length": 1})
    ingest_shopify(sim, faulty, "orders", catalogue=catalogue)
    sandbox.servers["shopify"].faults.plan = FaultPlan()
    # Late edits made behind our position while paging are caught by the next pull's lookback.
    ingest_shopify(sim, faulty, "orders", catalogue=catalogue)
    assert sim.http.retries > 0, "the faults should have been felt"
    landed = faulty.scan("shopify", "orders").collect()
    assert landed.height > landed["_record_key"].n_unique(), "and records landed twice"

    clean = LandingZone(settings.data_dir / "clean")
    ingest_shopify(sim, clean, "orders", catalogue=catalogue)

    def result(zone: LandingZone) -> pl.DataFrame:
        latest = _latest(zone, "orders")
        return latest.select("_record_key", "_record_updated_at", "_raw").sort("_record_key")

    assert result(faulty).equals(result(clean))
    truth = _orders_truth(world)
    assert result(clean).height == truth.height


def test_a_run_killed_midway_and_run_again_equals_a_clean_run(
    sim: ShopifyClient, settings: Settings, catalogue: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = LandingZone(settings.data_dir / "killed")
    pull = sim.orders

    def dies_after_two_pages(**filters: Any) -> Iterator[list[dict[str, Any]]]:
        pages = pull(**filters)
        yield next(pages)
        yield next(pages)
        raise KeyboardInterrupt("killed mid-run")

    monkeypatch.setattr(sim, "orders", dies_after_two_pages)
    with pytest.raises(KeyboardInterrupt):
        ingest_shopify(sim, zone, "orders", catalogue=catalogue, part_rows=250)
    # No manifest: nothing of the load is read, and the cursor did not move.
    assert zone.completed_loads("shopify", "orders") == []
    assert zone.scan("shopify", "orders").select(pl.len()).collect().item() == 0
    [pending] = zone.pending_loads("shopify", "orders")
    asked: list[str | None] = []

    def recorded(**filters: Any) -> Iterator[list[dict[str, Any]]]:
        asked.append(filters.get("after"))
        return pull(**filters)

    monkeypatch.setattr(sim, "orders", recorded)
    rerun = ingest_shopify(sim, zone, "orders", catalogue=catalogue)
    # The same load, gone on with from the third page's URL, not from the first page.
    assert rerun.load_id == pending and rerun.attempts == 2 and rerun.cursor_start is None
    assert asked and asked[0] is not None and "page_info" in asked[0]
    assert zone.pending_loads("shopify", "orders") == []

    clean = LandingZone(settings.data_dir / "clean")
    ingest_shopify(sim, clean, "orders", catalogue=catalogue)
    assert rerun.records == clean.completed_loads("shopify", "orders")[0].records
    columns = ("_record_key", "_record_updated_at", "_raw")
    killed = _latest(zone, "orders").select(columns).sort("_record_key")
    assert killed.equals(_latest(clean, "orders").select(columns).sort("_record_key"))

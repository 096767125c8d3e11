"""The Rakuten RMS connector: against a scripted RMS (httpx.MockTransport) and the simulator."""

from __future__ import annotations

import base64
import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import polars as pl
import pytest

from ichigen.ingestion.errors import AuthenticationError, ChannelError, RetriesExhaustedError
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten.client import (
    GET_ORDER_VERSION,
    MAX_SEARCH_RESULTS,
    InventoryKey,
    RakutenClient,
    RakutenRates,
    StockLevel,
    esa_authorization,
)
from ichigen.ingestion.rakuten.contracts import inventory_contract, order_contract
from ichigen.ingestion.rakuten.pull import ingest_inventories, ingest_orders, order_changed_at
from ichigen.ingestion.rakuten.search import MAX_WINDOW, DateType, parse_rms_time, rms_time, windows
from ichigen.ingestion.validation import BatchValidator
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.rakuten import RakutenApp, rate_limits
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
FAST = RakutenRates(search_order=1e6, get_order=1e6, inventory_get=1e6, inventory_upsert=1e6)
SECRET, KEY = "SP_test", "SL_test"


# --- a scripted RMS ------------------------------------------------------------------------


@dataclass
class FakeRms:
    """searchOrder, getOrder and the inventory bulk APIs over in-memory orders, as RMS checks."""

    placed: dict[str, datetime] = field(default_factory=dict)  # order number -> order date
    progress: dict[str, int] = field(default_factory=dict)
    skus: dict[str, str] = field(default_factory=dict)
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    failures: list[httpx.Response | Exception] = field(default_factory=list)  # served first
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add_orders(self, count: int, start: datetime, step: timedelta) -> list[str]:
        numbers = []
        for i in range(count):
            number = f"100000-{start:%Y%m%d}-{len(self.placed):010d}"
            self.placed[number] = start + i * step
            numbers.append(number)
        return numbers

    def order(self, number: str) -> dict[str, Any]:
        placed = self.placed[number]
        return {
            "orderNumber": number,
            "orderProgress": self.progress.get(number, 300),
            "orderDatetime": rms_time(placed),
            "shopOrderCfmDatetime": rms_time(placed + timedelta(minutes=30)),
            "shippingCmplRptDatetime": None,
            "requestPrice": 5500,
            "PackageModelList": [
                {
                    "ItemModelList": [
                        {
                            "price": 5500,
                            "units": 1,
                            "SkuModelList": [
                                {"merchantDefinedSkuId": self.skus.get(number, "P0001-NVY-M")}
                            ],
                        }
                    ]
                }
            ],
            "ChangeReasonModelList": [],
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append((request.url.path, body))
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        if request.headers.get("authorization") != esa_authorization(SECRET, KEY):
            return httpx.Response(401, json={"Results": {"errorCode": "ES04-01"}})
        path = request.url.path
        if path.endswith("/searchOrder/"):
            return self._search(body)
        if path.endswith("/getOrder/"):
            return self._get(body)
        if path.endswith("/bulk-get"):
            keys = [(e["manageNumber"], e["variantId"]) for e in body["inventories"]]
            assert len(keys) <= 1000
            found = [
                {"manageNumber": m, "variantId": v, "quantity": self.stock[(m, v)]}
                | {"updated": "2026-11-19T10:00:00+09:00"}
                for m, v in keys
                if (m, v) in self.stock
            ]
            return httpx.Response(200, json={"inventories": found})
        if path.endswith("/bulk-upsert"):
            assert len(body["inventories"]) <= 400
            for entry in body["inventories"]:
                assert entry["mode"] == "ABSOLUTE"
                self.stock[(entry["manageNumber"], entry["variantId"])] = entry["quantity"]
            return httpx.Response(204)
        return httpx.Response(404)

    def _search(self, body: dict[str, Any]) -> httpx.Response:
        start = parse_rms_time(body["startDatetime"])
        end = parse_rms_time(body["endDatetime"])
        paging = body["PaginationRequestModel"]
        if end - start > timedelta(days=63) or paging["requestRecordsAmount"] > 1000:
            message = {"messageType": "ERROR", "message": "期間検索の範囲は63日以内"}
            return httpx.Response(400, json={"MessageModelList": [message]})
        date_type = body["dateType"]
        matching = sorted(
            (placed, number)
            for number, placed in self.placed.items()
            if date_type == DateType.ORDERED and start <= placed.replace(microsecond=0) <= end
        )
        reachable = [number for _, number in matching][:MAX_SEARCH_RESULTS]
        size, page = paging["requestRecordsAmount"], paging["requestPage"]
        pages = -(-len(reachable) // size)
        return httpx.Response(
            200,
            json={
                "orderNumberList": reachable[(page - 1) * size : page * size],
                "PaginationResponseModel": {
                    "totalRecordsAmount": len(matching) or None,
                    "totalPages": pages or None,
                    "requestPage": page,
                },
            },
        )

    def _get(self, body: dict[str, Any]) -> httpx.Response:
        numbers = body["orderNumberList"]
        assert len(numbers) <= 100 and body["version"] == GET_ORDER_VERSION
        unknown = [n for n in numbers if n not in self.placed]
        return httpx.Response(
            200,
            json={
                "MessageModelList": [
                    {"messageType": "ERROR", "messageCode": "E020", "orderNumber": n}
                    for n in unknown
                ],
                "OrderModelList": [self.order(n) for n in numbers if n in self.placed],
            },
        )

    def searches(self) -> list[dict[str, Any]]:
        return [body for path, body in self.requests if path.endswith("/searchOrder/")]


def _client(rms: FakeRms, *, license_key: str = KEY, attempts: int = 5) -> RakutenClient:
    return RakutenClient(
        base_url="https://api.rms.test",
        service_secret=SECRET,
        license_key=license_key,
        http=httpx.Client(transport=httpx.MockTransport(rms.handle)),
        rates=FAST,
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=0.01),
        sleep=lambda _: None,
        rng=random.Random(0),
    )


@pytest.fixture(scope="module")
def order_validator() -> BatchValidator:
    return BatchValidator(order_contract(known_skus=["P0001-NVY-M", "P0002-WHT-S"]))


# --- searching ----------------------------------------------------------------------------


def test_windows_cover_a_period_in_63_day_pieces_without_gaps_or_overlaps() -> None:
    start, end = NOW - timedelta(days=200), NOW
    found = windows(start, end)
    assert len(found) == 4
    assert found[0][0] == start and found[-1][1] == end
    assert all(b - a < MAX_WINDOW for a, b in found)
    assert all(nxt[0] - prev[1] == timedelta(seconds=1) for prev, nxt in itertools.pairwise(found))


def test_search_bounds_are_written_in_jst_as_rms_wants_them() -> None:
    moment = datetime(2026, 10, 31, 15, 30, 5, 999, tzinfo=UTC)
    assert rms_time(moment) == "2026-11-01T00:30:05+0900"
    assert parse_rms_time("2026-11-01T00:30:05+0900") == moment.replace(microsecond=0)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-01T00:30:05+0900",
        "2026-11-01T00:30:05-0000",
        "2026-11-01T00:30:05+2359",
        "2026-11-01T00:30:05+0960",  # fromisoformat would read 10:00
        "2026-11-01T00:30:05+2400",
        "2026-11-01T24:00:00+0900",
        "2026-11-01T23:59:60+0900",
        "2026-02-29T00:00:00+0900",
        "0000-11-01T00:30:05+0900",
        "2026-11-01T00:30:05+09:00",
        "2026-11-01T00:30:05Z",
        "2026-11-01 00:30:05+0900",
        "2026-11-01",
    ],
)
def test_rms_times_are_read_as_strptime_reads_them(raw: str) -> None:
    try:
        expected: datetime | None = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            parse_rms_time(raw)
    else:
        assert parse_rms_time(raw) == expected


def test_a_long_search_is_cut_into_windows_and_pages_and_finds_each_order_once() -> None:
    rms = FakeRms()
    expected = rms.add_orders(2500, NOW - timedelta(days=150), timedelta(minutes=80))
    with _client(rms) as client:
        found = list(
            client.search_order_numbers(
                date_type=DateType.ORDERED, start=NOW - timedelta(days=160), end=NOW
            )
        )
    assert found == expected
    searches = rms.searches()
    assert all(
        parse_rms_time(s["endDatetime"]) - parse_rms_time(s["startDatetime"]) < MAX_WINDOW
        for s in searches
    )
    assert {s["PaginationRequestModel"]["requestRecordsAmount"] for s in searches} == {1000}
    assert max(s["PaginationRequestModel"]["requestPage"] for s in searches) == 2


def test_a_window_past_15000_results_is_searched_again_in_halves() -> None:
    rms = FakeRms()
    expected = rms.add_orders(
        MAX_SEARCH_RESULTS + 1200, NOW - timedelta(days=20), timedelta(seconds=90)
    )
    with _client(rms) as client:
        found = list(
            client.search_order_numbers(
                date_type=DateType.ORDERED, start=NOW - timedelta(days=21), end=NOW
            )
        )
    assert sorted(found) == sorted(expected) and len(found) == len(set(found))


def test_429_and_5xx_answers_and_broken_connections_are_retried() -> None:
    rms = FakeRms(
        failures=[
            httpx.Response(429, json={"Results": {"errorCode": "ES04-04"}}),
            httpx.Response(503),
            httpx.ReadError("connection reset"),
        ]
    )
    expected = rms.add_orders(3, NOW - timedelta(days=1), timedelta(hours=1))
    with _client(rms) as client:
        found = list(
            client.search_order_numbers(
                date_type=DateType.ORDERED, start=NOW - timedelta(days=2), end=NOW
            )
        )
        assert found == expected and client.retries == 3


def test_a_channel_that_keeps_failing_gives_up_with_the_last_problem() -> None:
    rms = FakeRms(failures=[httpx.Response(500)] * 3)
    with (
        _client(rms, attempts=3) as client,
        pytest.raises(RetriesExhaustedError, match="500"),
    ):
        list(client.search_order_numbers(date_type=DateType.ORDERED, start=NOW, end=NOW))


def test_wrong_credentials_fail_at_once_and_name_the_settings_to_check() -> None:
    rms = FakeRms()
    with (
        _client(rms, license_key="SL_wrong") as client,
        pytest.raises(AuthenticationError, match="ICHIGEN_RAKUTEN_"),
    ):
        list(client.search_order_numbers(date_type=DateType.ORDERED, start=NOW, end=NOW))
    assert len(rms.requests) == 1
    assert "SL_wrong" not in str(rms.requests)  # credentials are in headers only


def test_an_rms_error_message_reaches_the_exception() -> None:
    rms = FakeRms(
        failures=[
            httpx.Response(
                400, json={"MessageModelList": [{"messageType": "ERROR", "message": "不正です"}]}
            )
        ]
    )
    with _client(rms) as client, pytest.raises(ChannelError, match="不正です") as caught:
        list(client.search_order_numbers(date_type=DateType.ORDERED, start=NOW, end=NOW))
    assert caught.value.status == 400


def test_the_esa_header_is_base64_of_secret_and_key() -> None:
    header = esa_authorization("SP1", "SL2")
    assert header.startswith("ESA ") and base64.b64decode(header[4:]) == b"SP1:SL2"


# --- getting orders -----------------------------------------------------------------------


def test_orders_are_read_at_most_100_a_request_and_unknown_numbers_are_reported() -> None:
    rms = FakeRms()
    numbers = rms.add_orders(250, NOW - timedelta(days=3), timedelta(minutes=5))
    with _client(rms) as client:
        batches = list(client.iter_orders([*numbers, "999-unknown"]))
    assert [len(b.orders) for b in batches] == [100, 100, 50]
    assert [o["orderNumber"] for b in batches for o in b.orders] == numbers
    assert batches[-1].missing == ["999-unknown"]
    sizes = [len(body["orderNumberList"]) for path, body in rms.requests]
    assert sizes == [100, 100, 51]


def test_an_order_changed_at_is_its_latest_event() -> None:
    rms = FakeRms()
    [number] = rms.add_orders(1, NOW - timedelta(days=3), timedelta(0))
    order = rms.order(number)
    assert order_changed_at(order) == NOW - timedelta(days=3) + timedelta(minutes=30)
    order["ChangeReasonModelList"] = [{"changeCmplDatetime": rms_time(NOW)}]
    assert order_changed_at(order) == NOW


# --- inventory ----------------------------------------------------------------------------


def test_stock_is_pushed_as_absolute_quantities_400_a_request() -> None:
    rms = FakeRms()
    levels = [StockLevel("p0001", f"v{i}", i % 7) for i in range(450)]
    with _client(rms) as client:
        assert client.set_stock(levels) == 450
        assert client.set_stock(levels) == 450  # the same push twice changes nothing
        got = [
            e
            for chunk in client.get_inventories(InventoryKey("p0001", f"v{i}") for i in range(450))
            for e in chunk
        ]
    assert [len(body["inventories"]) for _, body in rms.requests[:2]] == [400, 50]
    assert {(e["variantId"], e["quantity"]) for e in got} == {(f"v{i}", i % 7) for i in range(450)}


def test_a_quantity_rms_would_refuse_sends_nothing() -> None:
    rms = FakeRms()
    with _client(rms) as client, pytest.raises(ValueError, match="v2"):
        client.set_stock([StockLevel("p1", "v1", 3), StockLevel("p1", "v2", -1)])
    assert rms.requests == []


def test_inventories_land_as_a_snapshot_keyed_by_manage_number_and_variant(tmp_path: Any) -> None:
    rms = FakeRms(stock={("p0001", "v1"): 4, ("p0001", "v2"): 0})
    zone = LandingZone(tmp_path / "landing")
    keys = [InventoryKey("p0001", "v1"), InventoryKey("p0001", "v2"), InventoryKey("p0001", "v9")]
    validator = BatchValidator(inventory_contract(known_variants=["v1"]))
    with _client(rms) as client:
        manifest = ingest_inventories(client, zone, keys, validator=validator)
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (2, 1, 1)
    landed = zone.scan("rakuten", "inventories").collect()
    assert landed["_record_key"].to_list() == ["p0001:v1"]
    reasons = zone.scan_quarantine("rakuten", "inventories").collect()["_reasons"][0]
    assert "'v2'" in reasons[0]


# --- into the landing zone ----------------------------------------------------------------


def test_an_ingest_lands_every_order_and_quarantines_bad_ones_with_reasons(
    tmp_path: Any, order_validator: BatchValidator
) -> None:
    rms = FakeRms()
    numbers = rms.add_orders(120, NOW - timedelta(days=90), timedelta(hours=17))
    rms.skus[numbers[3]] = "UNKNOWN-SKU"
    rms.progress[numbers[7]] = 150
    zone = LandingZone(tmp_path / "landing")
    with _client(rms) as client:
        pull = ingest_orders(client, zone, until=NOW, validator=order_validator, part_rows=50)
    manifest = pull.manifest
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (120, 118, 2)
    assert pull.since is None and manifest.parts == 3
    landed = zone.scan("rakuten", "orders").collect()
    quarantined = zone.scan_quarantine("rakuten", "orders").collect()
    assert set(landed["_record_key"]) | set(quarantined["_record_key"]) == set(numbers)
    reasons = dict(zip(quarantined["_record_key"], quarantined["_reasons"], strict=True))
    assert "'UNKNOWN-SKU'" in reasons[numbers[3]][0]
    assert "order_progress" in reasons[numbers[7]][0] and "150" in reasons[numbers[7]][0]
    # The first pull searches the whole history RMS keeps, oldest first.
    first = rms.searches()[0]
    assert first["PaginationRequestModel"]["SortModelList"] == [
        {"sortColumn": 1, "sortDirection": 1}
    ]
    assert parse_rms_time(first["startDatetime"]) >= NOW - timedelta(days=730)


def test_the_next_ingest_searches_from_the_landed_cursor_and_reopens_recent_orders(
    tmp_path: Any, order_validator: BatchValidator
) -> None:
    rms = FakeRms()
    rms.add_orders(40, NOW - timedelta(days=80), timedelta(days=2))
    zone = LandingZone(tmp_path / "landing")
    with _client(rms) as client:
        ingest_orders(client, zone, until=NOW, validator=order_validator)
        rms.requests.clear()
        later = NOW + timedelta(hours=6)
        pull = ingest_orders(
            client, zone, until=later, validator=order_validator, reopen=timedelta(days=10)
        )
    assert pull.since is not None and pull.since < NOW
    searched = {(s["dateType"], parse_rms_time(s["startDatetime"])) for s in rms.searches()}
    assert searched == {
        (DateType.ORDERED, pull.since.replace(microsecond=0) - timedelta(days=10)),
        (DateType.SHIPPED, pull.since.replace(microsecond=0)),
        (DateType.SETTLED, pull.since.replace(microsecond=0)),
    }
    # Orders placed in the reopened days are read again; staging keeps their latest version.
    assert 0 < pull.manifest.records < 40


# --- against the simulator, over real sockets ---------------------------------------------


@pytest.fixture
def rakuten(sandbox: RunningSandbox, settings: Settings) -> Iterator[RakutenClient]:
    app = sandbox.servers["rakuten"].app
    assert isinstance(app, RakutenApp)
    app.buckets = rate_limits(rate_per_s=1000, burst=1000)  # RMS's pace would only slow tests
    with RakutenClient(
        base_url=sandbox.urls["rakuten"],
        service_secret=settings.rakuten.service_secret.get_secret_value(),
        license_key=settings.rakuten.license_key.get_secret_value(),
        rates=FAST,
    ) as client:
        yield client


def _catalogue(world: World) -> list[str]:
    with world.lock:
        return world.tables["skus"]["sku"].to_list()


def _latest(zone: LandingZone) -> pl.DataFrame:
    """What staging keeps: each order's most recently loaded version."""
    return (
        zone.scan("rakuten", "orders")
        .sort("_loaded_at", "_load_id")
        .group_by("_record_key")
        .last()
        .collect()
    )


def _expected_shop_amounts(world: World) -> dict[str, int]:
    """What each order charges as RMS shows it: refunds reduce it unless the order closed."""
    with world.lock:
        orders = world.visible_orders("rakuten")
        lines = world.lines_of(orders["order_id"])
        refunds = world.visible_returns()
    back = lines.join(
        refunds.group_by("order_id", "line_no").agg(pl.col("quantity").sum().alias("back")),
        on=["order_id", "line_no"],
        how="left",
    )
    closed = back.group_by("order_id").agg(
        (pl.col("back").fill_null(0) >= pl.col("quantity")).all().alias("all_back")
    )
    refunded = refunds.group_by("order_id").agg(pl.col("refund_jpy").sum().alias("refunded"))
    frame = orders.join(closed, on="order_id", how="left").join(refunded, on="order_id", how="left")
    return {
        row["channel_order_id"]: row["total_jpy"]
        if row["cancelled_at"] is not None or row["all_back"]
        else row["total_jpy"] - (row["refunded"] or 0)
        for row in frame.iter_rows(named=True)
    }


def test_a_full_ingest_lands_exactly_the_orders_the_simulator_shows(
    rakuten: RakutenClient, world: World, settings: Settings
) -> None:
    zone = LandingZone.under(settings.paths)
    pull = ingest_orders(rakuten, zone, until=world.now, known_skus=_catalogue(world))
    expected = _expected_shop_amounts(world)
    assert pull.manifest.quarantined == 0 and pull.missing == []
    assert pull.manifest.records == pull.manifest.accepted == len(expected) > 100
    landed = _latest(zone)
    orders = [json.loads(raw) for raw in landed["_raw"]]
    # what the shop is paid (requestPrice is that less points and Rakuten's coupons, plus COD)
    shop_paid = {o["orderNumber"]: o["totalPrice"] - o["couponShopPrice"] for o in orders}
    assert shop_paid == expected
    assert sum(shop_paid.values()) == sum(expected.values())
    with world.lock:
        units = int(world.lines_of(world.visible_orders("rakuten")["order_id"])["quantity"].sum())
    returned = sum(
        item["units"]
        for o in orders
        for package in o["PackageModelList"]
        for item in package["ItemModelList"]
    )
    assert 0 < returned <= units  # partial returns reduce units; nothing else does


def test_ingesting_twice_duplicates_nothing_after_staging_dedupes(
    rakuten: RakutenClient, world: World, settings: Settings
) -> None:
    zone = LandingZone.under(settings.paths)
    first = ingest_orders(rakuten, zone, until=world.now)
    # the test world holds 60 days: the default reopen (60 days) would read it all again
    second = ingest_orders(rakuten, zone, until=world.now, reopen=timedelta(days=30))
    assert second.since is not None and 0 < second.manifest.records < first.manifest.records
    landed = zone.scan("rakuten", "orders").collect()
    assert landed.height == first.manifest.records + second.manifest.records
    latest = _latest(zone)
    assert latest.height == first.manifest.records == len(_expected_shop_amounts(world))
    before = dict(
        zip(
            landed.filter(pl.col("_load_id") == first.manifest.load_id)["_record_key"],
            landed.filter(pl.col("_load_id") == first.manifest.load_id)["_raw"],
            strict=True,
        )
    )
    assert dict(zip(latest["_record_key"], latest["_raw"], strict=True)) == before


def test_inventories_of_the_catalogues_rakuten_skus_land_and_a_push_reads_back(
    rakuten: RakutenClient, world: World, settings: Settings
) -> None:
    with world.lock:
        keys = (
            world.tables["skus"]
            .join(world.tables["products"], on="product_id")
            .filter(pl.col("rakuten_variant_id").is_not_null())
            .select("rakuten_manage_number", "rakuten_variant_id")
            .rows()
        )
    inventory_keys = [InventoryKey(manage, variant) for manage, variant in keys]
    first = inventory_keys[0]
    rakuten.set_stock([StockLevel(first.manage_number, first.variant_id, 37)])
    zone = LandingZone.under(settings.paths)
    manifest = ingest_inventories(
        rakuten, zone, inventory_keys, known_variants=[v for _, v in keys]
    )
    assert manifest.quarantined == 0 and manifest.records > 0
    landed = zone.scan("rakuten", "inventories").collect()
    key = f"{first.manage_number.lower()}:{first.variant_id}"
    [raw] = landed.filter(pl.col("_record_key") == key)["_raw"].to_list()
    assert json.loads(raw)["quantity"] == 37


def test_with_faults_injected_the_staged_orders_end_up_identical_to_a_clean_run(
    sandbox: RunningSandbox, rakuten: RakutenClient, world: World, settings: Settings
) -> None:
    # 429 bursts, 5xx, resets, truncated bodies, pages repeating numbers and late edits.
    sandbox.set_faults(FaultPlan.chaos(seed=11, intensity=0.05))
    patient = RakutenClient(
        base_url=sandbox.urls["rakuten"],
        service_secret=settings.rakuten.service_secret.get_secret_value(),
        license_key=settings.rakuten.license_key.get_secret_value(),
        rates=FAST,
        retry=RetryPolicy(max_attempts=12, base_delay_s=0.005, max_delay_s=0.05),
    )
    chaotic = LandingZone(settings.data_dir / "chaos" / "landing")
    with patient:
        ingest_orders(patient, chaotic, until=world.now)
        ingest_orders(patient, chaotic, until=world.now)
        assert patient.retries > 0
    sandbox.set_faults(FaultPlan())
    # A late edit made while a run was under way is read by the run after it.
    ingest_orders(rakuten, chaotic, until=world.now)
    clean = LandingZone(settings.data_dir / "clean" / "landing")
    ingest_orders(rakuten, clean, until=world.now)
    staged, expected = _latest(chaotic), _latest(clean)
    assert staged.height == expected.height == len(_expected_shop_amounts(world))
    assert dict(zip(staged["_record_key"], staged["_raw"], strict=True)) == dict(
        zip(expected["_record_key"], expected["_raw"], strict=True)
    )
    assert any(json.loads(raw)["memo"] for raw in staged["_raw"])  # late edits did land

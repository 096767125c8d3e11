"""The Rakuten RMS simulator, driven over real sockets as an RMS client drives it (plain httpx)."""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import polars as pl
import pytest

from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.rakuten import RakutenApp, rate_limits
from ichigen.sandbox.simulators.rakuten.order_parts import payment
from ichigen.sandbox.simulators.rakuten.orders import MAX_SEARCH_RESULTS, SearchCriteria, search
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings

JST = timezone(timedelta(hours=9))
SEARCH = "/es/2.0/order/searchOrder/"
GET_ORDER = "/es/2.0/order/getOrder/"
BULK_GET = "/es/2.0/inventories/bulk-get"
BULK_UPSERT = "/es/2.0/inventories/bulk-upsert"


def _app(sandbox: RunningSandbox) -> RakutenApp:
    app = sandbox.servers["rakuten"].app
    assert isinstance(app, RakutenApp)
    return app


def _esa(secret: str, key: str) -> str:
    return "ESA " + base64.b64encode(f"{secret}:{key}".encode()).decode()


def _rms_time(moment: datetime) -> str:
    return moment.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+0900")


@pytest.fixture
def client(sandbox: RunningSandbox, settings: Settings) -> Iterator[httpx.Client]:
    """A client with the shop's ESA credentials, and rate limits generous enough for a test."""
    _app(sandbox).buckets = rate_limits(rate_per_s=1000, burst=1000)
    auth = _esa(
        settings.rakuten.service_secret.get_secret_value(),
        settings.rakuten.license_key.get_secret_value(),
    )
    with httpx.Client(
        base_url=sandbox.urls["rakuten"], headers={"Authorization": auth}, timeout=10
    ) as http:
        yield http


def _visible(world: World) -> pl.DataFrame:
    with world.lock:
        return world.visible_orders("rakuten")


def _search(
    client: httpx.Client, start: datetime, end: datetime, *, page: int = 1, records: int = 1000
) -> dict[str, Any]:
    answer = client.post(
        SEARCH,
        json={
            "dateType": 1,
            "startDatetime": _rms_time(start),
            "endDatetime": _rms_time(end),
            "PaginationRequestModel": {
                "requestRecordsAmount": records,
                "requestPage": page,
                "SortModelList": [{"sortColumn": 1, "sortDirection": 1}],
            },
        },
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _search_all(client: httpx.Client, start: datetime, end: datetime) -> list[str]:
    """Every order number placed in [start, end], in 63-day windows that do not overlap."""
    numbers: list[str] = []
    window_start = start
    while window_start <= end:
        window_end = min(window_start + timedelta(days=63) - timedelta(seconds=1), end)
        page, pages = 1, 1
        while page <= pages:
            body = _search(client, window_start, window_end, page=page)
            numbers += body["orderNumberList"]
            pages = body["PaginationResponseModel"]["totalPages"] or 0
            page += 1
        window_start = window_end + timedelta(seconds=1)
    return numbers


def _get_orders(client: httpx.Client, numbers: list[str]) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    for i in range(0, len(numbers), 100):
        answer = client.post(
            GET_ORDER, json={"orderNumberList": numbers[i : i + 100], "version": 7}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [m["messageType"] for m in body["MessageModelList"]] == ["INFO"]
        orders += body["OrderModelList"]
    return orders


def _expected_amounts(world: World, truth: pl.DataFrame) -> dict[str, tuple[int, bool]]:
    """Per order number: what the customer pays after refunds, and whether RMS shows it closed.

    An order is closed (900) when cancelled or when every unit came back; otherwise refunds
    issued so far reduce the amount charged.
    """
    with world.lock:
        lines = world.lines_of(truth["order_id"])
        refunds = world.visible_returns()
    returned = (
        lines.join(
            refunds.group_by("order_id", "line_no").agg(pl.col("quantity").sum().alias("back")),
            on=["order_id", "line_no"],
            how="left",
        )
        .group_by("order_id")
        .agg((pl.col("back").fill_null(0) >= pl.col("quantity")).all().alias("all_back"))
    )
    refunded = refunds.group_by("order_id").agg(pl.col("refund_jpy").sum().alias("refunded"))
    frame = truth.join(returned, on="order_id", how="left").join(
        refunded, on="order_id", how="left"
    )
    expected = {}
    for row in frame.iter_rows(named=True):
        closed = row["cancelled_at"] is not None or bool(row["all_back"])
        paid = row["total_jpy"] if closed else row["total_jpy"] - (row["refunded"] or 0)
        expected[row["channel_order_id"]] = (paid, closed)
    return expected


def test_searching_every_window_and_getting_orders_returns_exactly_the_visible_orders(
    client: httpx.Client, world: World
) -> None:
    truth = _visible(world)
    assert truth.height > 100
    start = truth["created_at"].min()
    assert isinstance(start, datetime)
    numbers = _search_all(client, start.replace(microsecond=0), world.now)
    assert len(numbers) == len(set(numbers)) == truth.height
    assert set(numbers) == set(truth["channel_order_id"])

    orders = _get_orders(client, numbers)
    assert [o["orderNumber"] for o in orders] == numbers
    expected = _expected_amounts(world, truth)
    by_number = {row["channel_order_id"]: row for row in truth.iter_rows(named=True)}
    for order in orders:
        row = by_number[order["orderNumber"]]
        paid, closed = expected[order["orderNumber"]]
        # what the shop is paid; the buyer pays it less points and Rakuten's coupons, plus
        # the COD fee (requestPrice, as the getOrder reference defines it)
        assert order["totalPrice"] - order["couponShopPrice"] == paid
        assert (order["orderProgress"] == 900) == closed
        assert order["orderDatetime"] == _rms_time(row["created_at"])
        assert order["requestPrice"] == (
            order["totalPrice"]
            + order["paymentCharge"]
            - order["couponAllTotalPrice"]
            - order["PointModel"]["usedPoint"]
        )
        assert order["couponAllTotalPrice"] == order["couponShopPrice"] + order["couponOtherPrice"]
        assert order["paymentCharge"] == (330 if row["payment_method"] == "cod" else 0)
        packages = order["PackageModelList"]
        items = [i for package in packages for i in package["ItemModelList"]]
        assert order["goodsPrice"] == sum(i["price"] * i["units"] for i in items)
        assert (
            order["postagePrice"] == row["shipping_jpy"] == sum(p["postagePrice"] for p in packages)
        )
        assert order["severalSenderFlag"] == int(len(packages) > 1)
        (tax,) = order["TaxSummaryModelList"]
        assert tax["reqPrice"] == order["requestPrice"] + order["PointModel"]["usedPoint"]
        skus = [i["SkuModelList"][0]["merchantDefinedSkuId"] for i in items]
        assert all(isinstance(s, str) and s for s in skus)
        assert (order["shippingCmplRptDatetime"] is None) == (row["shipped_at"] is None)
    assert sum(o["requestPrice"] for o in orders if o["orderProgress"] != 900) > 0
    # the shapes of real shops, in realistic shares: points, Rakuten's coupons, several packages
    share = {
        "points": sum(o["PointModel"]["usedPoint"] > 0 for o in orders) / len(orders),
        "rakuten coupons": sum(o["couponOtherPrice"] > 0 for o in orders) / len(orders),
        "several packages": sum(len(o["PackageModelList"]) > 1 for o in orders) / len(orders),
    }
    assert 0.2 < share["points"] < 0.4, share
    assert 0.03 < share["rakuten coupons"] < 0.15, share
    assert 0.01 < share["several packages"] < 0.2, share
    assert any(o["paymentCharge"] > 0 for o in orders)


def test_a_window_longer_than_63_days_is_refused_with_an_rms_error(
    client: httpx.Client, world: World
) -> None:
    end = world.now
    answer = client.post(
        SEARCH,
        json={
            "dateType": 1,
            "startDatetime": _rms_time(end - timedelta(days=64)),
            "endDatetime": _rms_time(end),
        },
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["orderNumberList"] is None
    [error] = body["MessageModelList"]
    assert error["messageType"] == "ERROR"
    assert error["messageCode"].startswith("ORDER_EXT_API_SEARCH_ORDER_ERROR_")
    assert "63" in error["message"]


def test_search_bounds_must_be_written_as_rms_writes_them(
    client: httpx.Client, world: World
) -> None:
    iso = world.now.astimezone(JST).isoformat(timespec="seconds")  # "+09:00": refused by RMS
    answer = client.post(SEARCH, json={"startDatetime": iso, "endDatetime": iso})
    assert answer.status_code == 400
    codes = [m["messageCode"] for m in answer.json()["MessageModelList"]]
    assert codes == [
        "ORDER_EXT_API_SEARCH_ORDER_ERROR_009",  # dateType missing
        "ORDER_EXT_API_SEARCH_ORDER_ERROR_011",
        "ORDER_EXT_API_SEARCH_ORDER_ERROR_011",
    ]


def test_more_than_1000_records_a_page_is_refused(client: httpx.Client, world: World) -> None:
    answer = client.post(
        SEARCH,
        json={
            "dateType": 1,
            "startDatetime": _rms_time(world.now - timedelta(days=10)),
            "endDatetime": _rms_time(world.now),
            "PaginationRequestModel": {"requestRecordsAmount": 1001, "requestPage": 1},
        },
    )
    assert answer.status_code == 400
    assert "1000" in answer.json()["MessageModelList"][0]["message"]


def test_pages_split_a_search_without_overlap_in_order_date_order(
    client: httpx.Client, world: World
) -> None:
    start, end = world.now - timedelta(days=20), world.now
    everything = _search(client, start, end)["orderNumberList"]
    assert len(everything) > 20
    first = _search(client, start, end, records=7)
    pages = first["PaginationResponseModel"]
    assert pages == {
        "totalRecordsAmount": len(everything),
        "totalPages": math.ceil(len(everything) / 7),
        "requestPage": 1,
    }
    paged = [
        number
        for page in range(1, pages["totalPages"] + 1)
        for number in _search(client, start, end, page=page, records=7)["orderNumberList"]
    ]
    assert paged == everything
    dates = [o["orderDatetime"] for o in _get_orders(client, everything[:100])]
    assert dates == sorted(dates)
    beyond = _search(client, start, end, page=pages["totalPages"] + 1, records=7)
    assert beyond["orderNumberList"] == []


def test_an_empty_search_answers_info_102_with_null_paging(
    client: httpx.Client, world: World
) -> None:
    long_ago = world.now - timedelta(days=700)
    body = _search(client, long_ago, long_ago + timedelta(days=1))
    assert body["orderNumberList"] == []
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_SEARCH_ORDER_INFO_102"
    assert body["PaginationResponseModel"]["totalRecordsAmount"] is None


def test_requests_need_the_shops_esa_credentials(
    sandbox: RunningSandbox, settings: Settings, world: World
) -> None:
    url = sandbox.urls["rakuten"] + SEARCH
    body = {
        "dateType": 1,
        "startDatetime": _rms_time(world.now - timedelta(days=1)),
        "endDatetime": _rms_time(world.now),
    }
    secret = settings.rakuten.service_secret.get_secret_value()
    key = settings.rakuten.license_key.get_secret_value()
    for headers in ({}, {"Authorization": _esa(secret, "SL_wrong")}, {"Authorization": key}):
        answer = httpx.post(url, json=body, headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.json()["Results"]["errorCode"] == "ES04-01"
    good = httpx.post(url, json=body, headers={"Authorization": _esa(secret, key)}, timeout=5)
    assert good.status_code == 200


def test_an_unknown_order_number_gets_its_own_error_without_failing_the_batch(
    client: httpx.Client, world: World
) -> None:
    known = _visible(world)["channel_order_id"][0]
    answer = client.post(
        GET_ORDER, json={"orderNumberList": [known, "999999-20000101-0000000000"], "version": 10}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert [o["orderNumber"] for o in body["OrderModelList"]] == [known]
    assert body["version"] == 10
    errors = [m for m in body["MessageModelList"] if m["messageType"] == "ERROR"]
    assert [e["orderNumber"] for e in errors] == ["999999-20000101-0000000000"]
    too_many = client.post(GET_ORDER, json={"orderNumberList": [known] * 101, "version": 7})
    assert too_many.status_code == 400
    no_version = client.post(GET_ORDER, json={"orderNumberList": [known]})
    assert no_version.status_code == 400


def _rakuten_sku(world: World) -> tuple[str, str, str]:
    """(sku, manageNumber, variantId) of a SKU that Rakuten lists."""
    with world.lock:
        listed = world.tables["listings"].filter(pl.col("channel") == "rakuten")["sku"]
        row = (
            world.tables["skus"]
            .filter(pl.col("sku").is_in(listed.implode()))
            .join(world.tables["products"], on="product_id")
            .filter(pl.col("rakuten_variant_id").is_not_null())
            .sort("sku")
            .row(0, named=True)
        )
    return row["sku"], row["rakuten_manage_number"], row["rakuten_variant_id"]


def _listed(world: World, sku: str) -> int:
    with world.lock:
        hit = world.tables["listings"].filter(
            (pl.col("channel") == "rakuten") & (pl.col("sku") == sku)
        )
    return int(hit["quantity"].sum())


def test_bulk_upsert_then_bulk_get_reads_back_and_changes_the_world_listing(
    client: httpx.Client, world: World
) -> None:
    sku, manage, variant = _rakuten_sku(world)
    entry = {"manageNumber": manage.upper(), "variantId": variant}  # manageNumber folds case
    answer = client.post(
        BULK_UPSERT, json={"inventories": [{**entry, "mode": "ABSOLUTE", "quantity": 42}]}
    )
    assert answer.status_code == 204 and answer.content == b""
    assert _listed(world, sku) == 42
    got = client.post(BULK_GET, json={"inventories": [entry]}).json()["inventories"]
    assert [(i["manageNumber"], i["variantId"], i["quantity"]) for i in got] == [
        (manage.lower(), variant, 42)
    ]
    assert got[0]["updated"].endswith("+09:00")
    relative = {**entry, "mode": "RELATIVE", "quantity": -2}
    assert client.post(BULK_UPSERT, json={"inventories": [relative]}).status_code == 204
    assert _listed(world, sku) == 40


def test_an_invalid_upsert_changes_nothing_and_names_the_property(
    client: httpx.Client, world: World
) -> None:
    sku, manage, variant = _rakuten_sku(world)
    before = _listed(world, sku)
    good = {"manageNumber": manage, "variantId": variant, "mode": "ABSOLUTE", "quantity": 5}
    bad = {**good, "mode": "ADD"}
    answer = client.post(BULK_UPSERT, json={"inventories": [good, bad]})
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["metadata"]["propertyPath"] == "inventories[1].mode"
    assert _listed(world, sku) == before
    too_many = client.post(BULK_UPSERT, json={"inventories": [good] * 401})
    assert too_many.status_code == 400
    below_zero = {**good, "mode": "RELATIVE", "quantity": -(before + 1)}
    assert client.post(BULK_UPSERT, json={"inventories": [below_zero]}).status_code == 400


def test_exceeding_the_rate_limit_answers_429_in_the_gateway_shape(
    sandbox: RunningSandbox, client: httpx.Client, world: World
) -> None:
    _app(sandbox).buckets = rate_limits(rate_per_s=0.01, burst=1)
    body = {
        "dateType": 1,
        "startDatetime": _rms_time(world.now - timedelta(days=1)),
        "endDatetime": _rms_time(world.now),
    }
    assert client.post(SEARCH, json=body).status_code == 200
    throttled = client.post(SEARCH, json=body)
    assert throttled.status_code == 429
    assert "errorCode" in throttled.json()["Results"]
    # each API has its own allowance
    assert client.post(GET_ORDER, json={"orderNumberList": ["x"], "version": 7}).status_code == 200


def test_the_duplicates_fault_repeats_numbers_of_the_page_before(
    sandbox: RunningSandbox, client: httpx.Client, world: World
) -> None:
    start, end = world.now - timedelta(days=20), world.now
    first = _search(client, start, end, records=10)["orderNumberList"]
    sandbox.set_faults(FaultPlan(duplicates=1.0, seed=3))
    second = _search(client, start, end, page=2, records=10)["orderNumberList"]
    repeated = [n for n in second if n in first]
    assert repeated and repeated == first[-len(repeated) :]
    sandbox.set_faults(FaultPlan())
    assert (
        second[len(repeated) :]
        == _search(client, start, end, page=2, records=10)["orderNumberList"]
    )


def test_the_late_updates_fault_edits_a_recent_order_behind_the_newest_change(
    sandbox: RunningSandbox, client: httpx.Client, world: World
) -> None:
    before = _visible(world).select("order_id", "note_updated_at")
    sandbox.set_faults(FaultPlan(late_updates=1.0, seed=5))
    _search(client, world.now - timedelta(days=1), world.now)
    after = _visible(world)
    changed = after.join(before, on="order_id").filter(
        pl.col("note_updated_at").ne_missing(pl.col("note_updated_at_right"))
    )
    assert changed.height == 1
    row = changed.row(0, named=True)
    assert row["note_updated_at"] < after["updated_at"].max()
    assert row["created_at"] >= world.now - timedelta(days=3)
    sandbox.set_faults(FaultPlan())
    [order] = _get_orders(client, [row["channel_order_id"]])
    assert order["memo"] is not None


def test_a_sku_listed_at_zero_sells_no_more_on_rakuten_as_time_passes(
    sandbox: RunningSandbox, client: httpx.Client, world: World
) -> None:
    pytest.importorskip(
        "ichigen.sandbox.generator.live", reason="the generator's live trading is needed"
    )
    with world.lock:
        recent = world.lines_of(
            world.visible_orders("rakuten").filter(
                pl.col("created_at") >= world.now - timedelta(days=14)
            )["order_id"]
        )
        keys = (
            world.tables["skus"]
            .join(world.tables["products"], on="product_id")
            .filter(pl.col("rakuten_variant_id").is_not_null())
            .select("sku", "rakuten_manage_number", "rakuten_variant_id")
        )
    best = (
        recent.group_by("sku")
        .agg(pl.col("quantity").sum())
        .join(keys, on="sku")
        .sort("quantity", "sku", descending=True)
        .row(0, named=True)
    )
    entry = {
        "manageNumber": best["rakuten_manage_number"],
        "variantId": best["rakuten_variant_id"],
        "mode": "ABSOLUTE",
        "quantity": 0,
    }
    assert client.post(BULK_UPSERT, json={"inventories": [entry]}).status_code == 204
    start = world.now
    advanced = client.post("/_sandbox/advance", json={"days": 3})
    assert advanced.status_code == 200, advanced.text
    numbers = _search_all(client, start + timedelta(seconds=1), world.now)
    assert numbers, "the business stopped trading on Rakuten altogether"
    sold = {
        item["SkuModelList"][0]["merchantDefinedSkuId"]
        for order in _get_orders(client, numbers)
        for package in order["PackageModelList"]
        for item in package["ItemModelList"]
    }
    assert best["sku"] not in sold
    assert world.now == start + timedelta(days=3)


def test_no_order_number_past_the_15000th_is_returned() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    count = MAX_SEARCH_RESULTS + 50
    frame = pl.DataFrame(
        {
            "created_at": [start + timedelta(minutes=i) for i in range(count)],
            "channel_order_id": [f"312345-20260101-{i:010d}" for i in range(count)],
        }
    )
    criteria = SearchCriteria(
        date_type=1,
        start=start,
        end=start + timedelta(days=20),
        progress=None,
        records=1000,
        page=15,
        descending=False,
    )
    last = search(frame, criteria)
    assert last.total == count and last.pages == 15
    assert last.order_numbers[-1] == f"312345-20260101-{MAX_SEARCH_RESULTS - 1:010d}"
    assert search(frame, replace(criteria, page=16)).order_numbers == []


def test_realistic_limits_allow_about_one_request_a_second_per_api() -> None:
    buckets = rate_limits(realistic=True)
    search_order = buckets["order.searchOrder"]
    assert search_order.hit().allowed and not search_order.hit().allowed
    assert buckets["order.getOrder"].hit().allowed
    bulk_get = buckets["inventories.bulk.get"]
    assert [bulk_get.hit().allowed for _ in range(6)] == [True] * 5 + [False]


def test_points_and_rakuten_coupons_never_leave_the_buyer_less_than_nothing_to_pay() -> None:
    for n in range(500):
        number = f"378776-20260101-{n:08d}"
        for value in (0, 150, 999, 25_000):
            paid = payment(number, "cod" if n % 3 == 0 else "credit_card", value)
            assert paid.request_jpy >= paid.cod_fee_jpy == (330 if n % 3 == 0 else 0)
            assert 0 <= paid.points_jpy <= value * 3 // 10
            assert 0 <= paid.rakuten_coupon_jpy <= value

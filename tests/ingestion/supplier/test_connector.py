"""The supplier connector: paging, retries, idempotent orders and landing, mocked and live."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import polars as pl
import pytest

from ichigen.ingestion.contract_parts import ISO_TIMESTAMP
from ichigen.ingestion.errors import (
    AuthenticationError,
    RetriesExhaustedError,
    UnexpectedResponseError,
)
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.supplier.client import (
    IdempotencyKeyReusedError,
    OrderLine,
    PurchaseOrderInvalidError,
    SupplierClient,
    SupplierRequestError,
)
from ichigen.ingestion.supplier.contracts import (
    catalogue_contract,
    purchase_orders_contract,
    suppliers_contract,
)
from ichigen.ingestion.supplier.pull import ingest_supplier
from ichigen.ingestion.validation import BatchValidator
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings

API_KEY = "sup_test_secret"
BASE = "https://supplier.test"
JST = timezone(timedelta(hours=9))

Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps(list[float]):
    """Records the client's waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(handler: Handler, sleeps: Sleeps | None = None) -> SupplierClient:
    return SupplierClient(
        BASE,
        API_KEY,
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        retry=RetryPolicy(max_attempts=5, base_delay_s=0.1),
        sleep=sleeps if sleeps is not None else Sleeps(),
        rng=random.Random(5),
    )


def _query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


def _error(status: int, code: str, details: list[dict[str, Any]] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"code": code, "message": f"{code} happened"}
    if details is not None:
        body["details"] = details
    return httpx.Response(status, json={"error": body})


def _po(po_id: str | None, *, minutes: int = 0, **changes: Any) -> dict[str, Any]:
    """A confirmed one-line purchase order, stamped in JST as the supplier answers."""
    at = (datetime(2026, 10, 1, 18, tzinfo=UTC) + timedelta(minutes=minutes)).astimezone(JST)
    line = {"line_no": 1, "sku": "P0001-NVY-M", "quantity": 24, "unit_cost_jpy": 1200}
    line |= {"amount_jpy": 28800}
    order = {
        "id": po_id,
        "supplier_id": "SUP01",
        "reference": None,
        "ship_to_location_id": "WH-TOKYO",
        "status": "confirmed",
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "confirmed_at": at.isoformat(),
        "shipped_at": None,
        "received_at": None,
        "expected_ship_date": "2026-10-12",
        "expected_delivery_date": "2026-10-14",
        "currency": "JPY",
        "lines": [line],
        "total_quantity": 24,
        "total_cost_jpy": 28800,
    }
    return order | changes


class PagedSupplier:
    """Serves `orders` in pages of `size` with an opaque cursor, as the API documents."""

    def __init__(self, orders: list[dict[str, Any]], *, size: int = 2) -> None:
        self.orders = orders
        self.size = size
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"
        start = int(_query(request).get("cursor", "c0")[1:])
        end = start + self.size
        more = end < len(self.orders)
        return httpx.Response(
            200,
            json={
                "data": self.orders[start:end],
                "has_more": more,
                "next_cursor": f"c{end}" if more else None,
            },
        )


# --- the client -----------------------------------------------------------------------------


def test_purchase_orders_follow_the_cursor_and_keep_the_filters_on_every_page() -> None:
    supplier = PagedSupplier([_po(f"SPO-{i}") for i in range(1, 6)])
    since = datetime(2026, 10, 1, 9, tzinfo=UTC)
    pages = list(_client(supplier).purchase_orders(updated_since=since, supplier_id="SUP01"))
    assert [[o["id"] for o in page] for page in pages] == [
        ["SPO-1", "SPO-2"],
        ["SPO-3", "SPO-4"],
        ["SPO-5"],
    ]
    queries = [_query(r) for r in supplier.requests]
    assert [q.get("cursor") for q in queries] == [None, "c2", "c4"]
    # The cursor is a position inside the filtered list, so the filters go with it.
    assert {q["updated_since"] for q in queries} == {"2026-10-01T09:00:00+00:00"}
    assert {q["supplier_id"] for q in queries} == {"SUP01"}
    assert {q["limit"] for q in queries} == {"500"}


def test_a_naive_updated_since_is_refused_rather_than_read_as_jst() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next(_client(PagedSupplier([])).purchase_orders(updated_since=datetime(2026, 10, 1)))


def test_has_more_without_a_new_cursor_fails_instead_of_looping() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [], "has_more": True, "next_cursor": None})

    with pytest.raises(UnexpectedResponseError, match="next_cursor"):
        list(_client(handler).purchase_orders())


def test_rate_limits_server_errors_and_broken_bodies_are_retried_until_a_page_arrives() -> None:
    answers = iter(
        [
            _error(429, "rate_limited"),
            _error(503, "server_error"),
            httpx.Response(200, content=b'{"data": [{"id": "SU'),  # truncated JSON
        ]
    )

    def handler(_: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(200, json={"data": [{"id": "SUP01"}]})

    sleeps = Sleeps()
    client = _client(handler, sleeps)
    assert client.list_suppliers() == [{"id": "SUP01"}]
    assert client.retries == 3
    assert len(sleeps) >= 2, "429 and 503 back off before asking again"


class OrderDesk:
    """A supplier that places an order per new idempotency key and replays a known one."""

    def __init__(self, *, drop_first_answer: bool = False) -> None:
        self.drop_first_answer = drop_first_answer
        self.placed: dict[str, dict[str, Any]] = {}
        self.keys: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        self.keys.append(key)
        if key in self.placed:
            return httpx.Response(
                201, json=self.placed[key], headers={"Idempotent-Replayed": "true"}
            )
        body = json.loads(request.content)
        order = _po(f"SPO-{len(self.placed) + 1:06d}", reference=body["reference"])
        self.placed[key] = order
        if self.drop_first_answer:
            self.drop_first_answer = False
            # Placed, but the answer never arrives: the caller cannot know whether it worked.
            raise httpx.RemoteProtocolError("Server disconnected without sending a response")
        return httpx.Response(201, json=order)


def _place(client: SupplierClient, key: str = "outbox-1") -> Any:
    return client.create_purchase_order(
        "SUP01", "WH-TOKYO", "PO-2026-0042", [OrderLine("P0001-NVY-M", 24)], idempotency_key=key
    )


def test_a_post_retried_after_a_dropped_connection_places_exactly_one_order() -> None:
    desk = OrderDesk(drop_first_answer=True)
    placed = _place(_client(desk))
    assert len(desk.placed) == 1
    assert desk.keys == ["outbox-1", "outbox-1"], "the retry carried the same key"
    assert placed.id == "SPO-000001" and placed.replayed
    assert placed.purchase_order["reference"] == "PO-2026-0042"


def test_a_first_answer_is_not_marked_as_replayed() -> None:
    desk = OrderDesk()
    placed = _place(_client(desk))
    assert not placed.replayed and len(desk.placed) == 1


def test_an_empty_idempotency_key_is_refused_before_anything_is_sent() -> None:
    desk = OrderDesk()
    with pytest.raises(ValueError, match="idempotency_key"):
        _place(_client(desk), key="  ")
    assert desk.keys == []


def test_a_refused_purchase_order_raises_with_every_problem_the_supplier_named() -> None:
    details = [
        {"field": "lines[0].quantity", "code": "below_moq", "message": "24 is below 48"},
        {"field": "lines[1].sku", "code": "unknown", "message": "unknown SKU 'X'"},
    ]
    client = _client(lambda _: _error(422, "validation_failed", details))
    with pytest.raises(PurchaseOrderInvalidError) as caught:
        _place(client)
    error = caught.value
    assert error.status == 422 and error.code == "validation_failed"
    assert [(p.field, p.code) for p in error.problems] == [
        ("lines[0].quantity", "below_moq"),
        ("lines[1].sku", "unknown"),
    ]
    assert "lines[0].quantity: 24 is below 48 (below_moq)" in str(error)
    assert client.retries == 0, "a refusal is final: sending it again cannot help"


def test_a_key_reused_for_another_order_says_so() -> None:
    with pytest.raises(IdempotencyKeyReusedError):
        _place(_client(lambda _: _error(422, "idempotency_key_reused")))


def test_an_unknown_purchase_order_is_a_not_found_refusal() -> None:
    with pytest.raises(SupplierRequestError) as caught:
        _client(lambda _: _error(404, "not_found")).get_purchase_order("SPO-999999")
    assert caught.value.code == "not_found" and caught.value.status == 404


def test_refused_credentials_fail_at_once_without_showing_the_key() -> None:
    client = _client(lambda _: _error(401, "unauthorized"))
    with pytest.raises(AuthenticationError) as caught:
        client.list_suppliers()
    assert "ICHIGEN_SUPPLIER_" in str(caught.value)
    assert API_KEY not in str(caught.value) and API_KEY not in repr(client)


# --- landing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validators() -> dict[str, BatchValidator]:
    """One validator per entity for the module: a Great Expectations context takes a while."""
    return {
        "suppliers": BatchValidator(suppliers_contract()),
        "catalogue": BatchValidator(catalogue_contract()),
        "purchase_orders": BatchValidator(purchase_orders_contract()),
    }


def _reasons(zone: LandingZone, entity: str) -> dict[str, list[str]]:
    quarantined = zone.scan_quarantine("supplier", entity).collect()
    return dict(zip(quarantined["_record_key"], quarantined["_reasons"].to_list(), strict=True))


def test_bad_purchase_orders_are_quarantined_whole_with_their_reasons(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    good = _po("SPO-1")
    bad_line = _po("SPO-2")
    bad_line["lines"] = [bad_line["lines"][0] | {"quantity": -24, "amount_jpy": -28800}]
    orders = [
        good,
        bad_line,
        _po("SPO-3", status="cancelled"),
        _po("SPO-4", expected_delivery_date="2026-13-45"),
        _po("SPO-5", total_cost_jpy=30000),
        _po("SPO-6", lines=[]),
        _po(None),
    ]
    zone = LandingZone(tmp_path / "landing")
    manifest = ingest_supplier(
        _client(PagedSupplier(orders, size=3)),
        zone,
        "purchase_orders",
        validator=validators["purchase_orders"],
        part_rows=4,
    )
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (7, 1, 6)
    assert zone.scan("supplier", "purchase_orders").collect()["_record_key"].to_list() == ["SPO-1"]
    reasons = _reasons(zone, "purchase_orders")
    assert any("column=quantity" in r and "got -24" in r for r in reasons["SPO-2"])
    assert any("column=status" in r and "'cancelled'" in r for r in reasons["SPO-3"])
    assert any("DateutilParseable" in r or "dateutil" in r for r in reasons["SPO-4"])
    assert any("total_cost_gap_jpy" in r and "got 1200" in r for r in reasons["SPO-5"])
    assert any("column=sku" in r for r in reasons["SPO-6"])
    assert any("column=id" in r for r in reasons[""])


# Times at the edges of what `datetime.fromisoformat` (the cheap parse) and dateutil accept.
_EDGE_TIMES = [
    "2026-10-01T18:00:00+09:00",
    "2024-02-29T00:00:00+09:00",  # a leap day
    "2026-02-29T00:00:00+09:00",  # not one
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:59:60Z",  # a leap second
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-01-01T00:00:00.1234567+09:00",  # more digits than microseconds hold
    "2026-01-01T00:00:00+23:59",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00-00:00",
    "2026-13-45T00:00:00Z",
]


def test_real_dates_are_judged_as_dateutil_judges_every_value(
    validators: dict[str, BatchValidator],
) -> None:
    from dateutil.parser import parse  # type: ignore[import-untyped]

    def parses(value: str) -> bool:
        try:
            parse(value)
        except (ValueError, OverflowError):
            return False
        return True

    orders = [_po(f"SPO-{i}", created_at=value) for i, value in enumerate(_EDGE_TIMES)]
    verdict = validators["purchase_orders"].validate(orders)
    flagged = {
        _EDGE_TIMES[row]
        for row, reasons in verdict.reasons.items()
        for reason in reasons
        if reason.startswith("expect_column_values_to_be_dateutil_parseable(column=created_at)")
    }
    assert flagged == {value for value in _EDGE_TIMES if not parses(value)}
    assert (
        "expect_column_values_to_be_dateutil_parseable(column=created_at): got "
        + repr("2026-13-45T00:00:00Z")
        in verdict.reasons[len(_EDGE_TIMES) - 1]
    )


def test_a_time_that_is_not_iso_is_named_by_its_column_and_pattern(
    validators: dict[str, BatchValidator],
) -> None:
    # dateutil reads this one; the pattern does not, and the reason names the field it was in.
    verdict = validators["purchase_orders"].validate(
        [_po("SPO-1"), _po("SPO-2", updated_at="2026/10/01 18:00")]
    )
    assert list(verdict.reasons) == [1]
    assert verdict.reasons[1] == [
        f"expect_column_values_to_match_regex(column=updated_at, regex={ISO_TIMESTAMP}): "
        "got '2026/10/01 18:00'"
    ]


def test_an_moq_that_is_not_whole_cases_is_quarantined(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    item = {"sku": "P0001-NVY-M", "jan": "4900000000017", "unit_cost_jpy": 1200}
    item |= {"moq": 24, "case_pack": 12, "lead_time_days": 10.0, "available_from": None}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/suppliers":
            return httpx.Response(200, json={"data": [{"id": "SUP01"}, {"id": "SUP02"}]})
        supplier_id = request.url.path.split("/")[3]
        items = [item, item | {"sku": "P0002-BLK-F", "moq": 30}]
        return httpx.Response(200, json={"supplier": {"id": supplier_id}, "items": items})

    zone = LandingZone(tmp_path / "landing")
    manifest = ingest_supplier(
        _client(handler), zone, "catalogue", validator=validators["catalogue"]
    )
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (4, 2, 2)
    landed = zone.scan("supplier", "catalogue").collect()
    assert sorted(landed["_record_key"]) == ["SUP01:P0001-NVY-M", "SUP02:P0001-NVY-M"]
    assert json.loads(landed["_raw"][0])["supplier_id"] in {"SUP01", "SUP02"}
    reasons = _reasons(zone, "catalogue")
    [reason] = reasons["SUP01:P0002-BLK-F"]
    assert "column=moq_mod_case_pack" in reason and reason.endswith("got 6")


def test_the_next_pull_asks_from_the_landed_cursor_minus_the_lookback(
    tmp_path: Path, validators: dict[str, BatchValidator]
) -> None:
    zone = LandingZone(tmp_path / "landing")
    supplier = PagedSupplier([_po(f"SPO-{i}", minutes=10 * i) for i in range(1, 4)])
    first = ingest_supplier(
        _client(supplier), zone, "purchase_orders", validator=validators["purchase_orders"]
    )
    assert first.cursor_start is None and "updated_since" not in _query(supplier.requests[0])
    # Landed in UTC although the supplier answers in JST.
    assert first.max_record_updated_at == "2026-10-01T18:30:00+00:00"
    asked = len(supplier.requests)
    ingest_supplier(
        _client(supplier),
        zone,
        "purchase_orders",
        lookback=timedelta(minutes=15),
        validator=validators["purchase_orders"],
    )
    assert _query(supplier.requests[asked])["updated_since"] == "2026-10-01T18:15:00+00:00"


# --- against the simulator, over real sockets -----------------------------------------------


@pytest.fixture
def sim(sandbox: RunningSandbox, settings: Settings) -> Iterator[SupplierClient]:
    """A client of the running simulator, with the sandbox's key from settings."""
    with SupplierClient(
        sandbox.urls["supplier"],
        settings.supplier.api_key.get_secret_value(),
        retry=RetryPolicy(max_attempts=10, base_delay_s=0.05, max_delay_s=1.0),
    ) as client:
        yield client


def _visible_purchase_orders(world: World) -> pl.DataFrame:
    with world.lock:
        rows = world.tables["purchase_orders"]
        return rows.filter(pl.col("ordered_at") <= world.now)


def _latest(zone: LandingZone, entity: str) -> pl.DataFrame:
    """What staging will keep: the latest version of each record."""
    landed = zone.scan("supplier", entity).collect()
    return landed.sort("_record_updated_at", "_loaded_at").unique("_record_key", keep="last")


def test_ingesting_purchase_orders_lands_exactly_those_visible_at_the_clock(
    sim: SupplierClient,
    settings: Settings,
    world: World,
    validators: dict[str, BatchValidator],
) -> None:
    zone = LandingZone.under(settings.paths)
    manifest = ingest_supplier(sim, zone, "purchase_orders")
    truth = _visible_purchase_orders(world)
    assert manifest.quarantined == 0
    assert manifest.accepted == truth["po_id"].n_unique()
    landed = [json.loads(raw) for raw in _latest(zone, "purchase_orders")["_raw"]]
    assert {o["id"] for o in landed} == set(truth["po_id"])
    lines = sorted((o["id"], line["sku"], line["quantity"]) for o in landed for line in o["lines"])
    assert lines == sorted(truth.select("po_id", "sku", "quantity").iter_rows())
    assert settings.supplier.api_key.get_secret_value() not in " ".join(o["id"] for o in landed)

    # A second pull re-reads only the lookback window and adds no new key.
    again = ingest_supplier(sim, zone, "purchase_orders", validator=validators["purchase_orders"])
    assert again.cursor_start is not None and again.records < manifest.records
    assert _latest(zone, "purchase_orders").height == manifest.accepted


def test_the_catalogue_lands_every_sku_of_each_supplier_with_its_terms(
    sim: SupplierClient, settings: Settings, world: World
) -> None:
    zone = LandingZone.under(settings.paths)
    suppliers = ingest_supplier(sim, zone, "suppliers")
    catalogue = ingest_supplier(sim, zone, "catalogue")
    with world.lock:
        assert suppliers.accepted == world.tables["suppliers"].height
        truth = world.tables["skus"].join(
            world.tables["products"].select("product_id", "supplier_id"), on="product_id"
        )
    assert catalogue.quarantined == 0 and catalogue.accepted == truth.height
    landed = pl.DataFrame(
        [json.loads(raw) for raw in zone.scan("supplier", "catalogue").collect()["_raw"]]
    )
    terms = ["supplier_id", "sku", "moq", "case_pack"]
    got = landed.select(terms).sort("sku")
    expected = truth.select(terms).with_columns(pl.col("moq", "case_pack").cast(pl.Int64))
    assert got.equals(expected.sort("sku"))
    raw = " ".join(zone.scan("supplier", "catalogue").collect()["_raw"])
    assert settings.supplier.api_key.get_secret_value() not in raw


def _order_lines(world: World, supplier_id: str, count: int) -> list[OrderLine]:
    """`count` of the supplier's SKUs that come in cases, each at its MOQ."""
    with world.lock:
        skus = world.tables["skus"].join(
            world.tables["products"].select("product_id", "supplier_id"), on="product_id"
        )
    mine = skus.filter((pl.col("supplier_id") == supplier_id) & (pl.col("case_pack") > 1))
    chosen = mine.sort("sku").head(count)
    assert chosen.height == count, f"{supplier_id} has too few SKUs sold in cases"
    return [OrderLine(row["sku"], int(row["moq"])) for row in chosen.iter_rows(named=True)]


def test_creating_a_purchase_order_twice_with_one_key_places_one_and_it_lands_with_its_lines(
    sim: SupplierClient,
    settings: Settings,
    world: World,
    validators: dict[str, BatchValidator],
) -> None:
    before = _visible_purchase_orders(world)["po_id"].n_unique()
    lines = _order_lines(world, "SUP01", 3)

    def place() -> Any:
        return sim.create_purchase_order(
            "SUP01", "WH-TOKYO", "ICG-PO-0001", lines, idempotency_key="outbox-42"
        )

    first, second = place(), place()
    assert first.id == second.id and not first.replayed and second.replayed
    assert _visible_purchase_orders(world)["po_id"].n_unique() == before + 1
    order = sim.get_purchase_order(first.id)
    assert order["status"] == "submitted" and order["reference"] == "ICG-PO-0001"
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [
        (line.sku, line.quantity) for line in lines
    ]

    zone = LandingZone.under(settings.paths)
    ingest_supplier(sim, zone, "purchase_orders", validator=validators["purchase_orders"])
    landed = _latest(zone, "purchase_orders").filter(pl.col("_record_key") == first.id)
    assert len(json.loads(landed["_raw"][0])["lines"]) == 3


def test_the_simulator_refusing_a_purchase_order_names_each_bad_line(
    sim: SupplierClient, world: World
) -> None:
    good = _order_lines(world, "SUP01", 1)[0]
    bad = [OrderLine(good.sku, good.quantity + 1), OrderLine("NO-SUCH-SKU", 12)]
    with pytest.raises(PurchaseOrderInvalidError) as caught:
        sim.create_purchase_order("SUP01", "WH-TOKYO", "ICG-PO-0002", bad, idempotency_key="bad")
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("lines[0].quantity", "not_case_multiple"),
        ("lines[1].sku", "unknown"),
    }


def test_an_order_whose_answer_was_lost_is_placed_once_when_sent_again_under_its_key(
    sandbox: RunningSandbox, settings: Settings, world: World
) -> None:
    """The dispatcher's crash case: the supplier placed the order, the answer never came."""
    before = _visible_purchase_orders(world)["po_id"].n_unique()
    lines = _order_lines(world, "SUP02", 2)
    impatient = SupplierClient(
        sandbox.urls["supplier"],
        settings.supplier.api_key.get_secret_value(),
        retry=RetryPolicy(max_attempts=1),
    )
    sandbox.servers["supplier"].faults.plan = FaultPlan(truncate=1.0)
    with impatient, pytest.raises(RetriesExhaustedError):
        impatient.create_purchase_order(
            "SUP02", "WH-TOKYO", "ICG-PO-0003", lines, idempotency_key="outbox-7"
        )
    sandbox.servers["supplier"].faults.plan = FaultPlan()
    assert _visible_purchase_orders(world)["po_id"].n_unique() == before + 1, "it was placed"
    with SupplierClient(
        sandbox.urls["supplier"], settings.supplier.api_key.get_secret_value()
    ) as client:
        resumed = client.create_purchase_order(
            "SUP02", "WH-TOKYO", "ICG-PO-0003", lines, idempotency_key="outbox-7"
        )
    assert resumed.replayed and resumed.purchase_order["reference"] == "ICG-PO-0003"
    assert _visible_purchase_orders(world)["po_id"].n_unique() == before + 1


def test_with_faults_on_the_deduplicated_purchase_orders_equal_a_clean_run(
    sandbox: RunningSandbox,
    settings: Settings,
    validators: dict[str, BatchValidator],
) -> None:
    def client() -> SupplierClient:
        # Small pages, so that a pull makes enough requests to meet the faults.
        return SupplierClient(
            sandbox.urls["supplier"],
            settings.supplier.api_key.get_secret_value(),
            retry=RetryPolicy(max_attempts=12, base_delay_s=0.01, max_delay_s=0.1),
            rate_per_s=1000,
            page_limit=25,
        )

    def pull(zone: LandingZone) -> tuple[pl.DataFrame, int]:
        with client() as sim:
            ingest_supplier(sim, zone, "purchase_orders", validator=validators["purchase_orders"])
            retries = sim.retries
        latest = _latest(zone, "purchase_orders")
        return latest.select("_record_key", "_record_updated_at", "_raw").sort(
            "_record_key"
        ), retries

    plan = FaultPlan.chaos(seed=5, intensity=0.08)
    sandbox.servers["supplier"].faults.plan = FaultPlan(**{**plan.to_dict(), "burst_length": 1})
    faulty, retries = pull(LandingZone(settings.data_dir / "faulty"))
    sandbox.servers["supplier"].faults.plan = FaultPlan()
    clean, _ = pull(LandingZone(settings.data_dir / "clean"))
    assert retries > 0, "the faults should have been felt"
    assert faulty.equals(clean)

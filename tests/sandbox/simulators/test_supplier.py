"""The supplier simulator: idempotent purchase orders that progress with the world's clock."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import polars as pl
import pytest

from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings


@pytest.fixture
def client(sandbox: RunningSandbox, settings: Settings) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {settings.supplier.api_key.get_secret_value()}"}
    with httpx.Client(base_url=sandbox.urls["supplier"], headers=headers, timeout=10) as http:
        yield http


@pytest.fixture
def order(world: World) -> dict[str, Any]:
    """A valid purchase order for the first supplier: two SKUs at their MOQ."""
    with world.lock:
        skus = (
            world.tables["skus"]
            .join(world.tables["products"].select("product_id", "supplier_id"), on="product_id")
            .sort("sku")
        )
        supplier_id = skus["supplier_id"][0]
        lines = skus.filter(pl.col("supplier_id") == supplier_id).head(2)
        warehouse = world.tables["locations"].filter(pl.col("kind") == "warehouse")
    return {
        "supplier_id": supplier_id,
        "ship_to_location_id": warehouse["location_id"][0],
        "reference": "ICG-PO-0001",
        "lines": [
            {"sku": row["sku"], "quantity": int(row["moq"])} for row in lines.iter_rows(named=True)
        ],
    }


def _po_rows(world: World, po_id: str) -> pl.DataFrame:
    with world.lock:
        return world.tables["purchase_orders"].filter(pl.col("po_id") == po_id)


def _po_count(world: World) -> int:
    with world.lock:
        return world.tables["purchase_orders"]["po_id"].n_unique()


def test_repeated_posts_with_one_key_place_exactly_one_order(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    before = _po_count(world)

    def post(_: int) -> httpx.Response:
        return client.post(
            "/v1/purchase_orders", json=order, headers={"Idempotency-Key": "po-0001"}
        )

    first = post(0)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    with ThreadPoolExecutor(max_workers=8) as pool:
        replays = list(pool.map(post, range(24)))
    assert {r.status_code for r in replays} == {201}
    assert {r.headers["Idempotent-Replayed"] for r in replays} == {"true"}
    assert {r.content for r in replays} == {first.content}
    assert _po_count(world) == before + 1
    assert _po_rows(world, first.json()["id"]).height == len(order["lines"])


def test_concurrent_first_posts_with_one_key_still_place_one_order(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    before = _po_count(world)
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(
            pool.map(
                lambda _: client.post(
                    "/v1/purchase_orders", json=order, headers={"Idempotency-Key": "race"}
                ),
                range(12),
            )
        )
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    assert _po_count(world) == before + 1


def test_a_different_key_places_a_second_order(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    before = _po_count(world)
    a = client.post("/v1/purchase_orders", json=order, headers={"Idempotency-Key": "a"})
    b = client.post("/v1/purchase_orders", json=order, headers={"Idempotency-Key": "b"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert _po_count(world) == before + 2


def test_the_same_key_with_a_different_body_is_refused(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    assert (
        client.post("/v1/purchase_orders", json=order, headers={"Idempotency-Key": "k"}).status_code
        == 201
    )
    changed = {**order, "reference": "ICG-PO-0002"}
    answer = client.post("/v1/purchase_orders", json=changed, headers={"Idempotency-Key": "k"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "idempotency_key_reused"
    assert "idempotency key reused with different parameters" in answer.json()["error"]["message"]


def test_a_post_without_an_idempotency_key_is_a_400(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    before = _po_count(world)
    answer = client.post("/v1/purchase_orders", json=order)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "idempotency_key_required"
    assert _po_count(world) == before


def test_validation_errors_name_each_bad_line_and_store_nothing(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    with world.lock:
        terms = world.tables["skus"].join(
            world.tables["products"].select("product_id", "supplier_id"), on="product_id"
        )
    other = terms.filter(pl.col("supplier_id") != order["supplier_id"])["sku"][0]
    good = terms.filter(pl.col("sku") == order["lines"][0]["sku"]).row(0, named=True)
    bad = {
        **order,
        "lines": [
            {"sku": other, "quantity": 1200},
            {"sku": good["sku"], "quantity": good["moq"] - good["case_pack"]},
            {"sku": "NO-SUCH-SKU", "quantity": 12},
            {"sku": order["lines"][1]["sku"], "quantity": -3},
        ],
    }
    before = _po_count(world)
    answer = client.post("/v1/purchase_orders", json=bad, headers={"Idempotency-Key": "fix-me"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    problems = {(d["field"], d["code"]) for d in error["details"]}
    assert problems == {
        ("lines[0].sku", "wrong_supplier"),
        ("lines[1].quantity", "below_moq"),
        ("lines[2].sku", "unknown"),
        ("lines[3].quantity", "invalid"),
    }
    assert any(other in d["message"] for d in error["details"])
    assert _po_count(world) == before
    # Nothing was stored under the key, so the corrected order can reuse it.
    fixed = client.post("/v1/purchase_orders", json=order, headers={"Idempotency-Key": "fix-me"})
    assert fixed.status_code == 201


def test_status_progresses_with_the_world_clock(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    created = client.post("/v1/purchase_orders", json=order, headers={"Idempotency-Key": "clock"})
    po = created.json()
    assert po["status"] == "submitted" and po["confirmed_at"] is None
    assert po["total_quantity"] == sum(line["quantity"] for line in order["lines"])
    rows = _po_rows(world, po["id"]).row(0, named=True)
    assert rows["ordered_at"] == world.now
    assert rows["ordered_at"] < rows["confirmed_at"] < rows["shipped_at"] < rows["received_at"]
    assert (rows["confirmed_at"] - rows["ordered_at"]).total_seconds() < 86_400

    def advance_past(moment: datetime) -> str:
        days = max(1, math.ceil((moment - world.now).total_seconds() / 86_400))
        assert client.post("/_sandbox/advance", json={"days": days}).status_code == 200
        return str(client.get(f"/v1/purchase_orders/{po['id']}").json()["status"])

    assert advance_past(rows["confirmed_at"]) == "confirmed"
    seen = advance_past(rows["shipped_at"])
    assert seen in ("shipped", "received")  # both can fall within one day of trading
    assert advance_past(rows["received_at"]) == "received"
    final = client.get(f"/v1/purchase_orders/{po['id']}").json()
    assert final["received_at"] is not None and final["updated_at"] == final["received_at"]


def test_the_list_shows_orders_updated_since_a_time(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    po = client.post(
        "/v1/purchase_orders", json=order, headers={"Idempotency-Key": "listed"}
    ).json()
    since = world.now.isoformat()
    listed = client.get("/v1/purchase_orders", params={"updated_since": since}).json()
    assert [p["id"] for p in listed["data"]] == [po["id"]]
    assert listed["data"][0]["reference"] == order["reference"]
    later = client.get("/v1/purchase_orders", params={"updated_since": "2999-01-01T00:00:00Z"})
    assert later.json()["data"] == []
    # Paging with a small limit reaches every visible purchase order exactly once.
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = client.get("/v1/purchase_orders", params=params).json()
        ids.extend(p["id"] for p in page["data"])
        if not page["has_more"]:
            break
        params = {"limit": 3, "cursor": page["next_cursor"]}
    with world.lock:
        visible = world.tables["purchase_orders"].filter(pl.col("ordered_at") <= world.now)
    assert len(ids) == len(set(ids)) == visible["po_id"].n_unique()


def test_the_catalogue_lists_a_suppliers_skus_with_their_terms(
    client: httpx.Client, order: dict[str, Any], world: World
) -> None:
    answer = client.get(f"/v1/suppliers/{order['supplier_id']}/catalogue")
    assert answer.status_code == 200
    with world.lock:
        expected = world.tables["skus"].join(
            world.tables["products"].filter(pl.col("supplier_id") == order["supplier_id"]),
            on="product_id",
        )
    items = answer.json()["items"]
    assert {i["sku"] for i in items} == set(expected["sku"])
    item = items[0]
    row = expected.filter(pl.col("sku") == item["sku"]).row(0, named=True)
    assert (item["unit_cost_jpy"], item["moq"], item["case_pack"]) == (
        row["cost_jpy"],
        row["moq"],
        row["case_pack"],
    )
    assert item["lead_time_days"] > 0
    assert client.get("/v1/suppliers/NOPE/catalogue").status_code == 404


def test_requests_without_the_api_key_are_401(sandbox: RunningSandbox) -> None:
    answer = httpx.get(f"{sandbox.urls['supplier']}/v1/suppliers", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"

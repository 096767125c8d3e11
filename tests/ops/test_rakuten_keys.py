"""Rakuten's inventory keys are learnt from landed orders and inventories, once each, and the
SQL twin (int_channel_listings) gives every SKU the same key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest

from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import InventoryKey, RakutenClient, ingest_inventories
from ichigen.ops.rakuten_keys import inventory_keys_by_sku, landed_inventory_keys
from ichigen.paths import DataPaths
from tests.dbt_cli import run_dbt


def _order(number: str, *items: tuple[str | None, list[str | None]]) -> dict[str, Any]:
    return {
        "orderNumber": number,
        "PackageModelList": [
            {
                "ItemModelList": [
                    {
                        "manageNumber": manage,
                        "SkuModelList": [{"variantId": variant} for variant in variants],
                    }
                    for manage, variants in items
                ]
            }
        ],
    }


def _land_orders(zone: LandingZone, *loads: list[dict[str, Any]]) -> None:
    for records in loads:
        with zone.open_load("rakuten", "orders", source="test") as load:
            load.add(records, key=lambda r: str(r["orderNumber"]))
            load.commit()


def test_every_variant_of_every_landed_version_once_in_a_stable_order(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    assert landed_inventory_keys(zone) == []  # nothing landed yet
    _land_orders(
        zone,
        [_order("1", ("ICHIGEN-P2", ["v2", "v1"]), (None, ["lost"])), _order("2", ("p1", ["v1"]))],
        # a later version of order 1 names a variant again, and one without an id
        [_order("1", ("ichigen-p2", ["v1", None, "v3"]))],
    )
    assert landed_inventory_keys(zone) == [
        InventoryKey("ichigen-p2", "v1"),
        InventoryKey("ichigen-p2", "v2"),
        InventoryKey("ichigen-p2", "v3"),
        InventoryKey("p1", "v1"),
    ]


def test_a_variant_rakuten_showed_in_an_inventory_is_known_by_its_sku(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    _land_orders(zone, [_order("1", ("ichigen-p1", ["ichigen-p1-s"]))])
    with zone.open_load("rakuten", "inventories", source="test") as load:
        entries = [
            {"manageNumber": "ICHIGEN-P1", "variantId": "ichigen-p1-s", "quantity": 1},
            {"manageNumber": "ICHIGEN-P2", "variantId": "ichigen-p2-m", "quantity": 2},
            {"manageNumber": "", "variantId": "no-item", "quantity": 3},
        ]
        load.add(entries, key=lambda e: f"{e['manageNumber'].lower()}:{e['variantId']}")
        load.commit()
    keys = landed_inventory_keys(zone)
    assert keys == [
        InventoryKey("ichigen-p1", "ichigen-p1-s"),
        InventoryKey("ichigen-p2", "ichigen-p2-m"),
    ]
    assert inventory_keys_by_sku(keys) == {
        "ICHIGEN-P1-S": InventoryKey("ichigen-p1", "ichigen-p1-s"),
        "ICHIGEN-P2-M": InventoryKey("ichigen-p2", "ichigen-p2-m"),
    }


def _rms_answering_bulk_get() -> RakutenClient:
    """RMS that has stock of every variant asked for, naming its items in upper case."""

    def handler(request: httpx.Request) -> httpx.Response:
        asked = orjson.loads(request.content)["inventories"]
        return httpx.Response(
            200,
            json={
                "inventories": [
                    {
                        "manageNumber": key["manageNumber"].upper(),
                        "variantId": key["variantId"],
                        "quantity": 5,
                        "created": "2026-03-01T09:00:00+09:00",
                        "updated": "2026-03-02T09:00:00+09:00",
                    }
                    for key in asked
                ]
            },
        )

    return RakutenClient(
        base_url="http://rms.test",
        service_secret="s",
        license_key="l",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        retry=RetryPolicy(max_attempts=1),
    )


@pytest.mark.slow  # a dbt build of the models under int_channel_listings: about half a minute
def test_int_channel_listings_gives_each_rakuten_sku_the_key_python_gives_it(
    tmp_path: Path,
) -> None:
    paths = DataPaths(tmp_path / "data")
    zone = LandingZone(paths.landing, quarantine_root=paths.quarantine)
    _land_orders(
        zone,
        [
            _order("1", ("ICHIGEN-P2", ["ichigen-p2-s", "ichigen-p2-m"])),
            _order("2", ("Ichigen-P3", ["ichigen-p3"]), ("ichigen-p2", ["ichigen-p2-s"])),
        ],
    )
    with _rms_answering_bulk_get() as rms:
        ingest_inventories(rms, zone, landed_inventory_keys(zone))
    python = {
        sku: f"{key.manage_number}:{key.variant_id}"
        for sku, key in inventory_keys_by_sku(landed_inventory_keys(zone)).items()
    }

    built = run_dbt(
        ["build", "--select", "+int_channel_listings", "--exclude-resource-type", "test"],
        data_dir=paths.root,
        warehouse=paths.warehouse,
    )

    assert built.returncode == 0, built.stdout[-4000:]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rows = con.execute(
            "select distinct sku, channel_item_id from intermediate.int_channel_listings "
            "where channel = 'rakuten'"
        ).fetchall()
    assert dict(rows) == python
    assert python == {
        "ICHIGEN-P2-M": "ichigen-p2:ichigen-p2-m",
        "ICHIGEN-P2-S": "ichigen-p2:ichigen-p2-s",
        "ICHIGEN-P3": "ichigen-p3:ichigen-p3",
    }

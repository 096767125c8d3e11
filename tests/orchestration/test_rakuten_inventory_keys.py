"""The Rakuten inventory snapshot asks for every item variant a landed order has named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import InventoryKey
from ichigen.orchestration.rakuten import known_inventory_keys


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


def test_every_variant_of_every_landed_version_once_in_a_stable_order(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    assert known_inventory_keys(zone) == []  # nothing landed yet
    loads = [
        [_order("1", ("ICHIGEN-P2", ["v2", "v1"]), (None, ["lost"])), _order("2", ("p1", ["v1"]))],
        # a later version of order 1 names a variant again, and one without an id
        [_order("1", ("ichigen-p2", ["v1", None, "v3"]))],
    ]
    for records in loads:
        with zone.open_load("rakuten", "orders", source="test") as load:
            load.add(records, key=lambda r: str(r["orderNumber"]))
            load.commit()
    assert known_inventory_keys(zone) == [
        InventoryKey("ichigen-p2", "v1"),
        InventoryKey("ichigen-p2", "v2"),
        InventoryKey("ichigen-p2", "v3"),
        InventoryKey("p1", "v1"),
    ]

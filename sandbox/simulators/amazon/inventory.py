"""The FBA Inventory API (v1) ``getInventorySummaries`` for the sandbox's FBA-JP stock.

FBA stock sits in Amazon's warehouse, so the world's physical stock at FBA-JP (the
``inventory`` table) is what Amazon reports and sells: it is ``fulfillableQuantity``. Purchase
orders bound for FBA-JP are inbound (``inboundWorkingQuantity`` until shipped,
``inboundShippedQuantity`` until received), and refunded FBA returns that were not put back on
sale are ``unfulfillableQuantity`` (by reason). Reserved and researching quantities are not
simulated (always 0). A SKU appears once it has stock, an amazon listing or a purchase order at
FBA-JP, as a SKU does once it has been sent to FBA. ``lastUpdatedTime`` is the latest event
that changed it (a sale, a receipt, a listing change); ``startDateTime`` filters on it.

Pages hold 50 summaries (as Amazon's); the token carries the whole query on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.amazon.common import (
    decode_token,
    encode_token,
    invalid_input,
    iso_z,
    parse_time,
    require_marketplace,
)
from ichigen.sandbox.simulators.amazon.order_json import FBA_LOCATION
from ichigen.sandbox.simulators.http import Request
from ichigen.sandbox.world import World

__all__ = ["DEFAULT_INVENTORY_PAGE_SIZE", "InventoryApi"]

DEFAULT_INVENTORY_PAGE_SIZE: Final = 50
_UNFULFILLABLE: Final = {
    "defect": "defectiveQuantity",
    "damaged_in_transit": "carrierDamagedQuantity",
}
_UNFULFILLABLE_DEFAULT: Final = "customerDamagedQuantity"
_UNFULFILLABLE_KINDS: Final = (
    "customerDamagedQuantity",
    "warehouseDamagedQuantity",
    "distributorDamagedQuantity",
    "carrierDamagedQuantity",
    "defectiveQuantity",
    "expiredQuantity",
)


def _sum_by_sku(frame: pl.DataFrame, column: str) -> dict[str, int]:
    grouped = frame.group_by("sku").agg(pl.col(column).sum())
    return {sku: int(qty) for sku, qty in zip(grouped["sku"], grouped[column], strict=True)}


class InventoryApi:
    def __init__(
        self,
        world: World,
        *,
        marketplace_id: str,
        page_size: int = DEFAULT_INVENTORY_PAGE_SIZE,
    ) -> None:
        self.world = world
        self.marketplace_id = marketplace_id
        self.page_size = page_size

    def summaries(self, request: Request) -> dict[str, Any]:
        filters, offset = self._parse(request)
        with self.world.lock:
            rows = self._summaries(details=filters["details"])
        since = filters.get("since")
        if since is not None:
            rows = [r for r in rows if r["_updated"] >= datetime.fromisoformat(since)]
        elif filters.get("skus"):
            wanted = set(filters["skus"])
            rows = [r for r in rows if r["sellerSku"] in wanted]
        page = rows[offset : offset + self.page_size]
        answer: dict[str, Any] = {
            "payload": {
                "granularity": {
                    "granularityType": "Marketplace",
                    "granularityId": self.marketplace_id,
                },
                "inventorySummaries": [
                    {k: v for k, v in row.items() if k != "_updated"} for row in page
                ],
            }
        }
        if offset + self.page_size < len(rows):
            token = encode_token("getInventorySummaries", {**filters, "o": offset + self.page_size})
            answer["pagination"] = {"nextToken": token}
        return answer

    def _parse(self, request: Request) -> tuple[dict[str, Any], int]:
        require_marketplace(request, "marketplaceIds", self.marketplace_id)
        token = request.arg("nextToken")
        if token:
            state = decode_token(token, "getInventorySummaries", field="nextToken")
            offset = state.pop("o", None)
            state.pop("op", None)
            if not isinstance(offset, int) or not isinstance(state.get("details"), bool):
                raise invalid_input("Invalid nextToken.")
            return state, offset
        if request.arg("granularityType") != "Marketplace":
            raise invalid_input("granularityType is required and must be Marketplace.")
        if request.arg("granularityId") != self.marketplace_id:
            raise invalid_input("granularityId must be the marketplace id.")
        filters: dict[str, Any] = {"details": (request.arg("details") or "false") == "true"}
        start = parse_time(request, "startDateTime")
        if start is not None:
            if start > self.world.now:
                raise invalid_input("startDateTime must not be in the future.")
            filters["since"] = start.isoformat()
        else:
            skus = request.args("sellerSkus") or request.args("sellerSku")
            if len(skus) > 50:
                raise invalid_input("sellerSkus accepts at most 50 values.")
            filters["skus"] = skus
        return filters, 0

    def _summaries(self, *, details: bool) -> list[dict[str, Any]]:
        world, now = self.world, self.world.now
        stock = world.tables["inventory"].filter(pl.col("location_id") == FBA_LOCATION)
        listings = world.tables["listings"].filter(
            (pl.col("channel") == "amazon") & (pl.col("location_id") == FBA_LOCATION)
        )
        pos = world.tables["purchase_orders"].filter(
            (pl.col("location_id") == FBA_LOCATION) & (pl.col("ordered_at") <= now)
        )
        received = pos.filter(pl.col("received_at") <= now)
        shipped = pos.filter(
            (pl.col("shipped_at") <= now)
            & (pl.col("received_at").is_null() | (pl.col("received_at") > now))
        )
        working = pos.filter(pl.col("shipped_at").is_null() | (pl.col("shipped_at") > now))
        orders = world.tables["orders"].filter(
            (pl.col("channel") == "amazon")
            & (pl.col("location_id") == FBA_LOCATION)
            & (pl.col("created_at") <= now)
        )
        sold = world.lines_of(orders["order_id"].to_list()).join(
            orders.select("order_id", "created_at"), on="order_id"
        )
        damaged = (
            world.visible_returns()
            .join(orders.select("order_id"), on="order_id", how="semi")
            .filter(~pl.col("restocked"))
            .with_columns(
                pl.col("reason")
                .replace_strict(_UNFULFILLABLE, default=_UNFULFILLABLE_DEFAULT)
                .alias("kind")
            )
            .group_by("sku", "kind")
            .agg(pl.col("quantity").sum())
        )
        damaged_qty: dict[str, dict[str, int]] = {}
        for row in damaged.iter_rows(named=True):
            damaged_qty.setdefault(row["sku"], {})[row["kind"]] = int(row["quantity"])
        updated = (
            pl.concat(
                [
                    listings.select("sku", pl.col("updated_at").alias("at")),
                    sold.select("sku", pl.col("created_at").alias("at")),
                    received.select("sku", pl.col("received_at").alias("at")),
                ]
            )
            .group_by("sku")
            .agg(pl.col("at").max())
        )
        last_update = dict(zip(updated["sku"], updated["at"], strict=True))
        on_hand = _sum_by_sku(stock, "on_hand")
        inbound_working = _sum_by_sku(working, "quantity")
        inbound_shipped = _sum_by_sku(shipped, "quantity")
        skus = sorted(set(on_hand) | set(listings["sku"]) | set(pos["sku"]))
        catalog = world.tables["skus"].filter(pl.col("sku").is_in(skus))
        titles = world.tables["products"].select("product_id", "title")
        catalog = catalog.join(titles, on="product_id", how="left")
        known = {row["sku"]: row for row in catalog.iter_rows(named=True)}
        summaries: list[dict[str, Any]] = []
        for sku in skus:
            item = known.get(sku)
            if item is None:
                continue
            unfulfillable = dict.fromkeys(_UNFULFILLABLE_KINDS, 0) | damaged_qty.get(sku, {})
            quantities = {
                "fulfillableQuantity": on_hand.get(sku, 0),
                "inboundWorkingQuantity": inbound_working.get(sku, 0),
                "inboundShippedQuantity": inbound_shipped.get(sku, 0),
                "inboundReceivingQuantity": 0,
            }
            total = sum(quantities.values()) + sum(unfulfillable.values())
            updated_at: datetime = last_update.get(sku) or now
            summary: dict[str, Any] = {
                "asin": item["asin"],
                "fnSku": item["fnsku"],
                "sellerSku": sku,
                "condition": "NewItem",
                "lastUpdatedTime": iso_z(updated_at),
                "productName": item["title"],
                "totalQuantity": total,
                "_updated": updated_at,
            }
            if details:
                summary["inventoryDetails"] = {
                    **quantities,
                    "reservedQuantity": {
                        "totalReservedQuantity": 0,
                        "pendingCustomerOrderQuantity": 0,
                        "pendingTransshipmentQuantity": 0,
                        "fcProcessingQuantity": 0,
                    },
                    "researchingQuantity": {
                        "totalResearchingQuantity": 0,
                        "researchingQuantityBreakdown": [],
                    },
                    "unfulfillableQuantity": {
                        "totalUnfulfillableQuantity": sum(unfulfillable.values()),
                        **unfulfillable,
                    },
                }
            summaries.append(summary)
        return summaries

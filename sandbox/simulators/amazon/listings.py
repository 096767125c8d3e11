"""The Listings Items API (2021-08-01): read a listing, and set its merchant-fulfilled quantity.

A stock push is ``PATCH /listings/2021-08-01/items/{sellerId}/{sku}`` replacing
``/attributes/fulfillment_availability`` with ``[{"fulfillment_channel_code": "DEFAULT",
"quantity": N}]``. It sets the quantity the seller ships itself (MFN, from the sandbox's MFN
warehouse) in the world, so later trading sells no more than that; FBA quantities cannot be set
this way, as on Amazon (they are what sits in Amazon's warehouse). As on Amazon, a patch whose
content is wrong still answers 200, with ``status: "INVALID"`` and the ``issues``; only a
malformed request is a 400. Patches of other attributes are accepted and change nothing here.
``mode=VALIDATION_PREVIEW`` checks without applying.

Simplification: Amazon would accept a patch for a SKU it does not know (creating an offer-only
listing); the sandbox knows its whole catalogue and answers such a patch as INVALID.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.amazon.common import (
    amazon_error,
    invalid_input,
    iso_z,
    require_marketplace,
)
from ichigen.sandbox.simulators.amazon.order_json import FBA_LOCATION
from ichigen.sandbox.simulators.http import HttpError, Request
from ichigen.sandbox.world import World

__all__ = ["DEFAULT_MFN_LOCATION", "ListingsApi"]

DEFAULT_MFN_LOCATION: Final = "WH-TOKYO"
_INCLUDED: Final = frozenset(
    {
        "summaries",
        "attributes",
        "issues",
        "offers",
        "fulfillmentAvailability",
        "procurement",
        "relationships",
        "productTypes",
    }
)
_OPS: Final = frozenset({"add", "replace", "merge", "delete"})
_AVAILABILITY: Final = "/attributes/fulfillment_availability"
_FBA_CODE: Final = "AMAZON_JP"


def _issue(code: str, message: str, attribute: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "severity": "ERROR",
        "attributeNames": [attribute],
        "categories": ["INVALID_ATTRIBUTE"],
    }


class ListingsApi:
    def __init__(
        self,
        world: World,
        *,
        seller_id: str,
        marketplace_id: str,
        mfn_location: str = DEFAULT_MFN_LOCATION,
    ) -> None:
        self.world = world
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self.mfn_location = mfn_location

    def _check_seller(self, request: Request, seller_id: str) -> None:
        if seller_id != self.seller_id:
            raise amazon_error(403, "Unauthorized", "Access to requested resource is denied.")
        require_marketplace(request, "marketplaceIds", self.marketplace_id)

    def _catalogue_row(self, sku: str) -> dict[str, Any] | None:
        """The SKU's catalogue entry if it is sold on Amazon (it has an ASIN)."""
        hit = self.world.tables["skus"].filter(
            (pl.col("sku") == sku) & pl.col("asin").is_not_null()
        )
        if hit.is_empty():
            return None
        row = hit.row(0, named=True)
        products = self.world.tables["products"].filter(pl.col("product_id") == row["product_id"])
        row["title"] = products["title"][0] if products.height else sku
        return row

    # --- getListingsItem --------------------------------------------------------------------

    def get_item(self, request: Request, seller_id: str, sku: str) -> dict[str, Any]:
        self._check_seller(request, seller_id)
        included = request.args("includedData") or ["summaries"]
        unknown = sorted(set(included) - _INCLUDED)
        if unknown:
            raise invalid_input(f"Invalid includedData value(s) [{', '.join(unknown)}].")
        with self.world.lock:
            row = self._catalogue_row(sku)
            listings = self.world.tables["listings"].filter(
                (pl.col("channel") == "amazon") & (pl.col("sku") == sku)
            )
            at_fba = self.world.tables["inventory"].filter(
                (pl.col("sku") == sku) & (pl.col("location_id") == FBA_LOCATION)
            )
        if row is None:
            raise amazon_error(
                404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace {self.marketplace_id}"
            )
        mfn = listings.filter(pl.col("location_id") == self.mfn_location)
        mfn_qty = int(mfn["quantity"][0]) if mfn.height else None
        sent_to_fba = bool(listings.filter(pl.col("location_id") == FBA_LOCATION).height)
        sent_to_fba = sent_to_fba or bool(at_fba.height)
        item: dict[str, Any] = {"sku": sku}
        if "summaries" in included:
            item["summaries"] = [self._summary(row, listings)]
        if "attributes" in included:
            item["attributes"] = self._attributes(row, mfn_qty)
        if "issues" in included:
            item["issues"] = []
        if "offers" in included:
            price = {"currencyCode": "JPY", "amount": str(row["price_jpy"])}
            item["offers"] = [
                {"marketplaceId": self.marketplace_id, "offerType": "B2C", "price": price}
            ]
        if "fulfillmentAvailability" in included:
            availability: list[dict[str, Any]] = []
            if mfn_qty is not None:
                availability.append({"fulfillmentChannelCode": "DEFAULT", "quantity": mfn_qty})
            if sent_to_fba:
                availability.append({"fulfillmentChannelCode": _FBA_CODE})
            item["fulfillmentAvailability"] = availability
        for name in ("procurement", "relationships", "productTypes"):
            if name in included:
                item[name] = []
        return item

    def _summary(self, row: dict[str, Any], listings: pl.DataFrame) -> dict[str, Any]:
        buyable = bool(listings.height) and int(listings["quantity"].sum()) > 0
        updated: datetime | None = listings["updated_at"].max() if listings.height else None  # type: ignore[assignment]
        created = datetime.combine(row["launched_on"], time(), tzinfo=UTC)
        return {
            "marketplaceId": self.marketplace_id,
            "asin": row["asin"],
            "productType": "PRODUCT",
            "conditionType": "new_new",
            "status": ["BUYABLE", "DISCOVERABLE"] if buyable else ["DISCOVERABLE"],
            "itemName": row["title"],
            "createdDate": iso_z(created),
            "lastUpdatedDate": iso_z(updated or created),
        }

    def _attributes(self, row: dict[str, Any], mfn_qty: int | None) -> dict[str, Any]:
        mp = self.marketplace_id
        attributes: dict[str, Any] = {
            "item_name": [{"value": row["title"], "language_tag": "ja_JP", "marketplace_id": mp}],
            "purchasable_offer": [
                {
                    "currency": "JPY",
                    "marketplace_id": mp,
                    "our_price": [{"schedule": [{"value_with_tax": row["price_jpy"]}]}],
                }
            ],
        }
        if mfn_qty is not None:
            attributes["fulfillment_availability"] = [
                {"fulfillment_channel_code": "DEFAULT", "quantity": mfn_qty}
            ]
        return attributes

    # --- patchListingsItem ------------------------------------------------------------------

    def patch_item(self, request: Request, seller_id: str, sku: str) -> dict[str, Any]:
        self._check_seller(request, seller_id)
        patches = self._patches(request)
        with self.world.lock:
            known = self._catalogue_row(sku) is not None
        issues: list[dict[str, Any]] = []
        quantity: int | None = None
        if not known:
            issues.append(
                _issue(
                    "4000001",
                    f"The provided value for 'SKU' is invalid: '{sku}' is not a product of "
                    "this seller on this marketplace.",
                    "sku",
                )
            )
        for patch in patches:
            if patch["path"] != _AVAILABILITY:
                continue  # other attributes are accepted and not simulated
            if patch["op"] == "delete":
                quantity = 0
                continue
            found, problems = self._availability(patch["value"])
            issues += problems
            quantity = found if found is not None else quantity
        preview = request.arg("mode") == "VALIDATION_PREVIEW"
        if issues:
            status = "INVALID"
        elif preview:
            status = "VALID"
        else:
            status = "ACCEPTED"
            if quantity is not None:
                self.world.set_listing("amazon", sku, self.mfn_location, quantity)
        return {"sku": sku, "status": status, "submissionId": uuid.uuid4().hex, "issues": issues}

    @staticmethod
    def _patches(request: Request) -> list[dict[str, Any]]:
        """The body's patches, checked for shape; a malformed body is a 400, as on Amazon."""
        try:
            body = request.json()
        except HttpError:
            raise invalid_input(
                message="Request has missing or invalid parameters and cannot be parsed."
            ) from None
        if not isinstance(body, dict) or not isinstance(body.get("productType"), str):
            raise invalid_input(message="Missing required field productType.")
        patches = body.get("patches")
        if not isinstance(patches, list) or not patches:
            raise invalid_input(message="Missing required field patches.")
        for index, patch in enumerate(patches):
            if not isinstance(patch, dict) or patch.get("op") not in _OPS:
                raise invalid_input(message=f"Invalid op for patch at index of {index}.")
            if not isinstance(patch.get("path"), str) or not patch["path"].startswith(
                "/attributes/"
            ):
                raise invalid_input(message=f"Invalid path for patch at index of {index}.")
            if patch["op"] != "delete" and not isinstance(patch.get("value"), list):
                raise invalid_input(message=f"Value is missing for patch at index of {index}.")
        return patches

    @staticmethod
    def _availability(values: list[Any]) -> tuple[int | None, list[dict[str, Any]]]:
        """The MFN quantity a fulfillment_availability value sets, or the issues it has."""
        quantity: int | None = None
        issues: list[dict[str, Any]] = []
        for value in values:
            code = value.get("fulfillment_channel_code") if isinstance(value, dict) else None
            if not code:
                issues.append(
                    _issue(
                        "99022",
                        "The field 'fulfillment_channel_code' for the attribute "
                        "'fulfillment_availability' does not have enough values. The required "
                        "minimum is '1' value(s).",
                        "fulfillment_availability",
                    )
                )
                continue
            if code != "DEFAULT":
                message = (
                    "The quantity of an Amazon-fulfilled offer cannot be set; it is the stock "
                    "in Amazon's fulfilment centres."
                    if code == _FBA_CODE
                    else f"The provided value for 'Fulfillment Channel Code' is invalid: {code}."
                )
                issues.append(_issue("4000001", message, "fulfillment_availability"))
                continue
            raw = value.get("quantity")
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                issues.append(
                    _issue(
                        "4000001",
                        "The provided value for 'Quantity' is invalid.",
                        "fulfillment_availability",
                    )
                )
                continue
            quantity = raw
        return quantity, issues

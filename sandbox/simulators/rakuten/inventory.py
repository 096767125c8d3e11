"""InventoryAPI 2.0 over the world's Rakuten listings: reading and setting stock per SKU.

RMS keys stock by 商品管理番号 (``manageNumber``, the product's ``rakuten_manage_number``) and
SKU管理番号 (``variantId``, the SKU's ``rakuten_variant_id``). As documented by RMS:

- ``manageNumber`` is case-insensitive (upper case is folded to lower), ``variantId`` is not;
  both are 1 to 32 characters of ``a-z A-Z 0-9 - _``;
- ``mode`` is ``ABSOLUTE`` (set) or ``RELATIVE`` (add a signed amount); a SKU without stock
  yet must be registered with ``ABSOLUTE``; quantities stay within 0..99999;
- a key that matches no product is accepted without error but changes nothing visible;
- bulk-upsert takes 1..400 entries and answers 204; bulk-get takes 1..1000 and lists only the
  SKUs that have stock registered.

A request with any invalid entry changes nothing and lists every problem. Listings on Rakuten
are held at one location (WH-TOKYO unless the world lists the SKU elsewhere). Error codes
IE0002 to IE0004 and GE0014 follow RMS's samples; IE0001 is the sandbox's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.http import HttpError, json_response
from ichigen.sandbox.simulators.rakuten.format import JST, inventory_time
from ichigen.sandbox.world import World

__all__ = [
    "MAX_GET",
    "MAX_QUANTITY",
    "MAX_UPSERT",
    "Key",
    "Upsert",
    "apply_upserts",
    "not_found",
    "parse_keys",
    "parse_upserts",
    "read_inventory",
]

MAX_UPSERT: Final = 400
MAX_GET: Final = 1000
MAX_QUANTITY: Final = 99999
DEFAULT_LOCATION: Final = "WH-TOKYO"
_KEY_CHARS: Final = re.compile(r"^[A-Za-z0-9_-]+$")

Key = tuple[str, str]  # (manageNumber folded to lower case, variantId)
_Errors = list[dict[str, Any]]


@dataclass(frozen=True)
class Upsert:
    path: str  # where the entry sits in the request, for error messages
    key: Key
    mode: str
    quantity: int


def _error(errors: _Errors, code: str, text: str, path: str) -> None:
    errors.append({"code": code, "message": text, "metadata": {"propertyPath": path}})


def _raise(errors: _Errors) -> None:
    if errors:
        raise HttpError(400, errors[0]["message"], response=json_response({"errors": errors}, 400))


def _identifier(entry: dict[str, Any], name: str, prefix: str, errors: _Errors) -> str | None:
    value = entry.get(name)
    path = f"{prefix}{name}"
    if value is None or value == "":
        _error(errors, "IE0001", f"{name} must not be null.", path)
        return None
    if not isinstance(value, str) or not _KEY_CHARS.match(value):
        _error(errors, "IE0002", f"{name} has an invalid value : {value}.", path)
        return None
    if len(value.encode()) > 32:
        _error(errors, "IE0004", f"Max length of {name} must be within 32 bytes.", path)
        return None
    return value.lower() if name == "manageNumber" else value


def _entries(body: Any, limit: int, errors: _Errors) -> list[dict[str, Any]]:
    entries = body.get("inventories") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not 1 <= len(entries) <= limit:
        _error(errors, "IE0003", f"inventories size must be between 1 and {limit}.", "inventories")
        _raise(errors)
    return [e if isinstance(e, dict) else {} for e in entries or []]


def parse_keys(body: Any) -> list[Key]:
    """A bulk-get request: ``{"inventories": [{"manageNumber", "variantId"}, ...]}``."""
    errors: _Errors = []
    keys: list[Key] = []
    for i, entry in enumerate(_entries(body, MAX_GET, errors)):
        manage = _identifier(entry, "manageNumber", f"inventories[{i}].", errors)
        variant = _identifier(entry, "variantId", f"inventories[{i}].", errors)
        if manage is not None and variant is not None:
            keys.append((manage, variant))
    _raise(errors)
    return keys


def _mode_and_quantity(
    entry: dict[str, Any], prefix: str, errors: _Errors
) -> tuple[str, int] | None:
    mode, quantity = entry.get("mode"), entry.get("quantity")
    ok = True
    if mode not in ("ABSOLUTE", "RELATIVE"):
        _error(errors, "IE0002", f"mode has an invalid value : {mode}.", f"{prefix}mode")
        ok = False
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        _error(
            errors, "IE0002", f"quantity has an invalid value : {quantity}.", f"{prefix}quantity"
        )
        return None
    low = 0 if mode == "ABSOLUTE" else -MAX_QUANTITY
    if not low <= quantity <= MAX_QUANTITY:
        _error(
            errors,
            "IE0003",
            f"quantity must be between {low} and {MAX_QUANTITY}.",
            f"{prefix}quantity",
        )
        ok = False
    return (str(mode), quantity) if ok else None


def parse_upserts(body: Any, *, key: Key | None = None) -> list[Upsert]:
    """A bulk-upsert request, or (with `key` from the URL) a single variant's upsert."""
    errors: _Errors = []
    upserts: list[Upsert] = []
    if key is not None:
        entry = body if isinstance(body, dict) else {}
        parsed = _mode_and_quantity(entry, "", errors)
        _raise(errors)
        assert parsed is not None
        return [Upsert("", key, *parsed)]
    for i, entry in enumerate(_entries(body, MAX_UPSERT, errors)):
        prefix = f"inventories[{i}]."
        manage = _identifier(entry, "manageNumber", prefix, errors)
        variant = _identifier(entry, "variantId", prefix, errors)
        parsed = _mode_and_quantity(entry, prefix, errors)
        if manage is not None and variant is not None and parsed is not None:
            upserts.append(Upsert(prefix, (manage, variant), *parsed))
    _raise(errors)
    return upserts


def _catalogue(world: World) -> pl.DataFrame:
    """Every SKU Rakuten knows, with its key, location and current listing (if any)."""
    products = world.tables["products"].select(
        "product_id", pl.col("rakuten_manage_number").str.to_lowercase().alias("manage")
    )
    listings = (
        world.tables["listings"]
        .filter(pl.col("channel") == "rakuten")
        .sort("location_id")
        .unique("sku", keep="first")
        .select("sku", "location_id", "quantity", "updated_at")
    )
    return (
        world.tables["skus"]
        .filter(pl.col("rakuten_variant_id").is_not_null())
        .join(products, on="product_id")
        .filter(pl.col("manage").is_not_null())
        .join(listings, on="sku", how="left")
        .select(
            "sku",
            "manage",
            pl.col("rakuten_variant_id").alias("variant"),
            "launched_on",
            pl.col("location_id").fill_null(DEFAULT_LOCATION),
            "quantity",
            "updated_at",
        )
    )


def _rows(world: World) -> dict[Key, dict[str, Any]]:
    return {(row["manage"], row["variant"]): row for row in _catalogue(world).iter_rows(named=True)}


def read_inventory(world: World, keys: list[Key]) -> list[dict[str, Any]]:
    """Stock of the requested SKUs that have any registered; call under `world.lock`."""
    rows = _rows(world)
    found: list[dict[str, Any]] = []
    for key in dict.fromkeys(keys):
        row = rows.get(key)
        if row is None or row["quantity"] is None:
            continue
        updated: datetime = row["updated_at"]
        launched = datetime.combine(row["launched_on"], time(), JST) if row["launched_on"] else None
        created = min(launched, updated) if launched is not None else updated
        found.append(
            {
                "manageNumber": row["manage"],
                "variantId": row["variant"],
                "quantity": row["quantity"],
                "created": inventory_time(created),
                "updated": inventory_time(updated),
            }
        )
    return found


def apply_upserts(world: World, upserts: list[Upsert]) -> None:
    """Validate every entry against current stock, then apply all; call under `world.lock`."""
    rows = _rows(world)
    planned: dict[Key, int | None] = {key: row["quantity"] for key, row in rows.items()}
    errors: _Errors = []
    changes: dict[Key, int] = {}
    for upsert in upserts:
        if upsert.key not in rows:
            continue  # RMS accepts unknown keys silently; nothing shows for them
        current = planned[upsert.key]
        if upsert.mode == "RELATIVE" and current is None:
            _error(
                errors,
                "IE0002",
                "mode has an invalid value : RELATIVE. Use ABSOLUTE to register new inventory.",
                f"{upsert.path}mode",
            )
            continue
        new = upsert.quantity if upsert.mode == "ABSOLUTE" else (current or 0) + upsert.quantity
        if not 0 <= new <= MAX_QUANTITY:
            _error(
                errors,
                "IE0003",
                f"quantity must be between 0 and {MAX_QUANTITY}.",
                f"{upsert.path}quantity",
            )
            continue
        planned[upsert.key] = changes[upsert.key] = new
    _raise(errors)
    for key, quantity in changes.items():
        row = rows[key]
        world.set_listing("rakuten", row["sku"], row["location_id"], quantity)


def not_found(key: Key) -> HttpError:
    text = f"Not found for inputs; manageNumber={key[0]}, variantId={key[1]}"
    return HttpError(
        404, text, response=json_response({"errors": [{"code": "GE0014", "message": text}]}, 404)
    )

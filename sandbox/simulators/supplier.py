"""Supplier purchase-order API simulator: the sandbox's own small JSON design.

Suppliers have no common standard, so this is a plain, Stripe-like API that a buyer's system
can use safely with retries. All requests need ``Authorization: Bearer <api key>``.
Errors are ``{"error": {"code": "...", "message": "...", "details": [...]}}``.

``POST /v1/purchase_orders``
    Header ``Idempotency-Key`` (required; 400 ``idempotency_key_required`` without it). Body::

        {"supplier_id": "SUP01", "ship_to_location_id": "WH-TOKYO", "reference": "PO-2026-0042",
         "lines": [{"sku": "P0001-NVY-M", "quantity": 24}]}

    Every SKU must be that supplier's, each quantity a positive multiple of the SKU's case pack
    and at least its MOQ, each SKU once; otherwise 422 ``validation_failed`` whose ``details``
    name each problem (``{"field": "lines[1].quantity", "code": "below_moq", ...}``).
    Success is 201 with the purchase order. A repeated key returns the first answer again
    (same status and body, header ``Idempotent-Replayed: true``) and never places a second
    order; the same key with a different body is 422 ``idempotency_key_reused``. As with
    Stripe, a request that fails validation stores nothing, so it can be fixed and retried
    under the same key.

``GET /v1/purchase_orders/{id}``, ``GET /v1/purchase_orders``
    The list takes ``updated_since`` (ISO 8601; without an offset, JST), ``supplier_id``,
    ``status``, ``limit`` (default 100, at most 500) and ``cursor``, and answers
    ``{"data": [...], "has_more": bool, "next_cursor": str | null}`` in ``updated_at`` order.

    A purchase order::

        {"id": "SPO-000001", "supplier_id": "SUP01", "reference": "PO-2026-0042",
         "ship_to_location_id": "WH-TOKYO", "status": "confirmed",
         "created_at": "...+09:00", "updated_at": ..., "confirmed_at": ..., "shipped_at": null,
         "received_at": null, "expected_ship_date": "2026-11-12",
         "expected_delivery_date": "2026-11-14", "currency": "JPY",
         "lines": [{"line_no": 1, "sku": "...", "quantity": 24, "unit_cost_jpy": 1200,
                    "amount_jpy": 28800}],
         "total_quantity": 24, "total_cost_jpy": 28800}

    ``status`` follows the world's clock: ``submitted``, then ``confirmed`` (within a day),
    ``shipped``, and ``received`` after the supplier's lead time, when the goods enter the
    stock of ``ship_to_location_id`` (the world's trading does the receiving). Expected dates
    come from the supplier's mean lead time; actual ones vary around it.
    Purchase orders placed before ichigen (in the generated history) are listed too, with a
    null ``reference``.

``GET /v1/suppliers``, ``GET /v1/suppliers/{id}``, ``GET /v1/suppliers/{id}/catalogue``
    Suppliers with their lead time, and each one's SKUs with unit cost, MOQ and case pack.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import orjson
import polars as pl

from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS, SupplierCredentials
from ichigen.sandbox.simulators.http import (
    HttpError,
    Request,
    Response,
    SimulatorApp,
    json_response,
)
from ichigen.sandbox.world import World

__all__ = ["SupplierApp"]

_MAX_LINES: Final = 200
_MAX_KEY_LENGTH: Final = 255
_DEFAULT_LIMIT: Final = 100
_MAX_LIMIT: Final = 500
_TRANSIT_DAYS: Final = 2.0  # from the supplier's dock to the warehouse
_ERROR_CODES: Final = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_failed",
    429: "rate_limited",
}
_PO_EVENTS: Final = ("confirmed_at", "shipped_at", "received_at")
_JST: Final = timezone(timedelta(hours=9), "JST")  # a Japanese supplier answers in local time


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(_JST).isoformat(timespec="seconds")


def parse_timestamp(raw: str) -> datetime:
    """ISO 8601, with Z or an offset; a time without one is read as JST."""
    text = raw.strip().replace(" ", "+")
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=_JST)).astimezone(UTC)


def _error(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> HttpError:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return HttpError(status, message, response=json_response({"error": body}, status=status))


@dataclass(frozen=True)
class _Stored:
    """The first answer given under an idempotency key."""

    fingerprint: bytes
    status: int
    body: bytes


@dataclass(frozen=True)
class _Line:
    sku: str
    quantity: int
    unit_cost_jpy: int


class SupplierApp(SimulatorApp):
    """Every supplier's order desk behind one API, over the shared `World`."""

    name = "supplier"

    def __init__(
        self, world: World, credentials: SupplierCredentials = SANDBOX_CREDENTIALS.supplier
    ) -> None:
        super().__init__()
        self.world = world
        self.api_key = credentials.api_key
        self._idempotency: dict[str, _Stored] = {}
        self._references: dict[str, str] = {}  # po_id -> the buyer's reference
        # One placement at a time: replays of a key must wait for its first request to finish.
        self._placing = threading.Lock()
        self.route("POST", r"/v1/purchase_orders", self._create)
        self.route("GET", r"/v1/purchase_orders", self._list)
        self.route("GET", r"/v1/purchase_orders/(?P<id>[\w-]+)", self._get)
        self.route("GET", r"/v1/suppliers", self._suppliers)
        self.route("GET", r"/v1/suppliers/(?P<id>[\w-]+)", self._supplier)
        self.route("GET", r"/v1/suppliers/(?P<id>[\w-]+)/catalogue", self._catalogue)

    # --- channel hooks ---------------------------------------------------------------------

    def before(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            response = self.error_body(
                401, "missing or invalid API key: send Authorization: Bearer <key>"
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return None

    def error_body(self, status: int, message: str) -> Response:
        code = _ERROR_CODES.get(status, "server_error" if status >= 500 else "error")
        return json_response({"error": {"code": code, "message": message}}, status=status)

    # --- placing orders --------------------------------------------------------------------

    def _create(self, request: Request, match: re.Match[str]) -> Response:
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            raise _error(
                400,
                "idempotency_key_required",
                "the Idempotency-Key header is required: send a unique key per purchase order "
                "and reuse it when retrying",
            )
        if len(key) > _MAX_KEY_LENGTH:
            raise _error(
                400, "invalid_request", f"Idempotency-Key is longer than {_MAX_KEY_LENGTH}"
            )
        body = request.json()
        fingerprint = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        with self._placing:
            stored = self._idempotency.get(key)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise _error(
                        422,
                        "idempotency_key_reused",
                        "idempotency key reused with different parameters: use a new key for "
                        "a new purchase order",
                    )
                return Response(
                    status=stored.status,
                    body=stored.body,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Idempotent-Replayed": "true",
                    },
                )
            with self.world.lock:
                supplier_id, location_id, reference, lines = self._validate(body)
                po_id = self._place(supplier_id, location_id, reference, lines)
                purchase_order = self._render(self._rows(po_id))
            response = json_response(purchase_order, status=201)
            self._idempotency[key] = _Stored(fingerprint, response.status, response.body)
            return response

    def _validate(self, body: Any) -> tuple[str, str, str, list[_Line]]:
        if not isinstance(body, dict):
            raise _error(400, "invalid_request", "the body must be a JSON object")
        problems: list[dict[str, Any]] = []

        def problem(field: str, code: str, message: str) -> None:
            problems.append({"field": field, "code": code, "message": message})

        suppliers = self.world.tables["suppliers"]
        supplier_id = body.get("supplier_id")
        if not isinstance(supplier_id, str) or not supplier_id:
            problem("supplier_id", "required", "supplier_id is required")
        elif supplier_id not in suppliers["supplier_id"].to_list():
            problem("supplier_id", "unknown", f"no supplier {supplier_id!r}")
        location_id = body.get("ship_to_location_id")
        if not isinstance(location_id, str) or not location_id:
            problem("ship_to_location_id", "required", "ship_to_location_id is required")
        elif location_id not in self.world.tables["locations"]["location_id"].to_list():
            problem("ship_to_location_id", "unknown", f"no location {location_id!r}")
        reference = body.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            problem("reference", "required", "reference (your purchase order number) is required")
        raw_lines = body.get("lines")
        lines: list[_Line] = []
        if not isinstance(raw_lines, list) or not raw_lines:
            problem("lines", "required", "lines must be a non-empty list of {sku, quantity}")
            raw_lines = []
        elif len(raw_lines) > _MAX_LINES:
            problem("lines", "too_many", f"at most {_MAX_LINES} lines per purchase order")
            raw_lines = []
        catalogue = self._sku_terms()
        seen: set[str] = set()
        for index, raw in enumerate(raw_lines):
            where = f"lines[{index}]"
            if not isinstance(raw, dict):
                problem(where, "invalid", "each line must be an object {sku, quantity}")
                continue
            sku, quantity = raw.get("sku"), raw.get("quantity")
            terms = catalogue.get(sku) if isinstance(sku, str) else None
            if terms is None:
                problem(f"{where}.sku", "unknown", f"unknown SKU {sku!r}")
            elif isinstance(supplier_id, str) and terms["supplier_id"] != supplier_id:
                problem(
                    f"{where}.sku",
                    "wrong_supplier",
                    f"{sku} is supplied by {terms['supplier_id']}, not {supplier_id}",
                )
            elif sku in seen:
                problem(f"{where}.sku", "duplicate", f"{sku} appears on more than one line")
            if isinstance(sku, str):
                seen.add(sku)
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
                problem(f"{where}.quantity", "invalid", "quantity must be a positive integer")
                continue
            if terms is None:
                continue
            if quantity < terms["moq"]:
                problem(
                    f"{where}.quantity",
                    "below_moq",
                    f"{sku}: quantity {quantity} is below the minimum order of {terms['moq']}",
                )
            elif quantity % terms["case_pack"]:
                problem(
                    f"{where}.quantity",
                    "not_case_multiple",
                    f"{sku}: quantity {quantity} is not a multiple of the case pack "
                    f"({terms['case_pack']})",
                )
            else:
                lines.append(_Line(str(sku), quantity, int(terms["cost_jpy"])))
        if problems:
            raise _error(
                422,
                "validation_failed",
                f"the purchase order has {len(problems)} problem(s); see details",
                problems,
            )
        assert isinstance(supplier_id, str) and isinstance(location_id, str)
        assert isinstance(reference, str)
        return supplier_id, location_id, reference.strip(), lines

    def _sku_terms(self) -> dict[str, dict[str, Any]]:
        skus = self.world.tables["skus"].join(
            self.world.tables["products"].select("product_id", "supplier_id"), on="product_id"
        )
        return {
            row["sku"]: row
            for row in skus.select("sku", "supplier_id", "moq", "case_pack", "cost_jpy").iter_rows(
                named=True
            )
        }

    def _next_po_id(self) -> str:
        taken = set(self.world.tables["purchase_orders"]["po_id"].to_list())
        number = len(self._references) + 1
        while f"SPO-{number:06d}" in taken:
            number += 1
        return f"SPO-{number:06d}"

    def _place(self, supplier_id: str, location_id: str, reference: str, lines: list[_Line]) -> str:
        """Record the order in the world with the dates this supplier will keep."""
        po_id = self._next_po_id()
        supplier = self.world.tables["suppliers"].filter(pl.col("supplier_id") == supplier_id)
        mean = float(supplier["lead_time_days_mean"][0])
        sd = float(supplier["lead_time_days_sd"][0] or 0.0)
        rng = random.Random(po_id)
        ordered_at = self.world.now
        confirmed_at = ordered_at + timedelta(hours=rng.uniform(2, 20))
        lead_days = max(rng.gauss(mean, sd), 2.0, mean / 3)
        received_at = ordered_at + timedelta(days=lead_days)
        shipped_at = max(
            received_at - timedelta(days=_TRANSIT_DAYS * rng.uniform(0.5, 1.5)),
            confirmed_at + timedelta(hours=6),
        )
        confirmed_at, shipped_at, received_at = (
            moment.replace(microsecond=0) for moment in (confirmed_at, shipped_at, received_at)
        )
        for line in lines:
            self.world.add_purchase_order(
                {
                    "po_id": po_id,
                    "supplier_id": supplier_id,
                    "sku": line.sku,
                    "location_id": location_id,
                    "quantity": line.quantity,
                    "ordered_at": ordered_at,
                    "confirmed_at": confirmed_at,
                    "shipped_at": shipped_at,
                    "received_at": received_at,
                }
            )
        self._references[po_id] = reference
        return po_id

    # --- reading orders --------------------------------------------------------------------

    def _visible(self) -> pl.DataFrame:
        """Purchase-order rows placed by the clock, events after it hidden, with updated_at."""
        now = self.world.now
        rows = self.world.tables["purchase_orders"].filter(pl.col("ordered_at") <= now)
        rows = rows.with_columns(
            [pl.when(pl.col(c) <= now).then(pl.col(c)).otherwise(None).alias(c) for c in _PO_EVENTS]
        )
        return rows.with_columns(
            pl.max_horizontal("ordered_at", *_PO_EVENTS).max().over("po_id").alias("updated_at")
        )

    def _rows(self, po_id: str) -> pl.DataFrame:
        return self._visible().filter(pl.col("po_id") == po_id)

    def _terms(self) -> tuple[dict[str, float], dict[str, Any]]:
        """Each supplier's mean lead time and each SKU's cost: looked up once per answer."""
        suppliers = self.world.tables["suppliers"].select("supplier_id", "lead_time_days_mean")
        means = {key: float(mean) for key, mean in suppliers.iter_rows()}
        costs = dict(self.world.tables["skus"].select("sku", "cost_jpy").iter_rows())
        return means, costs

    def _render(
        self,
        rows: pl.DataFrame,
        terms: tuple[dict[str, float], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        rows = rows.sort("sku")
        first = rows.row(0, named=True)
        po_id = first["po_id"]
        means, costs = terms or self._terms()
        mean = means.get(first["supplier_id"], 0.0)
        lines = []
        for line_no, row in enumerate(rows.iter_rows(named=True), start=1):
            unit = int(costs.get(row["sku"], 0))
            lines.append(
                {
                    "line_no": line_no,
                    "sku": row["sku"],
                    "quantity": int(row["quantity"]),
                    "unit_cost_jpy": unit,
                    "amount_jpy": unit * int(row["quantity"]),
                }
            )

        def latest(column: str) -> datetime | None:
            values = [v for v in rows[column].to_list() if v is not None]
            return max(values) if values else None

        received, shipped, confirmed = (
            latest("received_at"),
            latest("shipped_at"),
            latest("confirmed_at"),
        )
        status = (
            "received"
            if received
            else "shipped"
            if shipped
            else "confirmed"
            if confirmed
            else "submitted"
        )
        ordered_at: datetime = first["ordered_at"]
        expected_delivery = ordered_at + timedelta(days=mean)
        expected_ship = expected_delivery - timedelta(days=_TRANSIT_DAYS)
        return {
            "id": po_id,
            "supplier_id": first["supplier_id"],
            "reference": self._references.get(po_id),
            "ship_to_location_id": first["location_id"],
            "status": status,
            "created_at": timestamp(ordered_at),
            "updated_at": timestamp(first["updated_at"]),
            "confirmed_at": timestamp(confirmed),
            "shipped_at": timestamp(shipped),
            "received_at": timestamp(received),
            "expected_ship_date": expected_ship.astimezone(_JST).date().isoformat(),
            "expected_delivery_date": expected_delivery.astimezone(_JST).date().isoformat(),
            "currency": "JPY",
            "lines": lines,
            "total_quantity": sum(line["quantity"] for line in lines),
            "total_cost_jpy": sum(line["amount_jpy"] for line in lines),
        }

    def _get(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            rows = self._rows(match["id"])
            if rows.is_empty():
                raise _error(404, "not_found", f"no purchase order {match['id']!r}")
            return json_response(self._render(rows))

    def _list(self, request: Request, match: re.Match[str]) -> Response:
        limit = _int_arg(request, "limit", _DEFAULT_LIMIT)
        if not 1 <= limit <= _MAX_LIMIT:
            raise _error(400, "invalid_request", f"limit must be between 1 and {_MAX_LIMIT}")
        after = _decode_cursor(request.arg("cursor"))
        with self.world.lock:
            rows = self._visible()
            heads = rows.group_by("po_id").agg(
                pl.col("updated_at").first(),
                pl.col("supplier_id").first(),
            )
            if (since := request.arg("updated_since")) is not None:
                try:
                    heads = heads.filter(pl.col("updated_at") >= parse_timestamp(since))
                except ValueError:
                    raise _error(
                        400, "invalid_request", f"updated_since {since!r} is not an ISO 8601 time"
                    ) from None
            if (supplier_id := request.arg("supplier_id")) is not None:
                heads = heads.filter(pl.col("supplier_id") == supplier_id)
            heads = heads.with_columns(pl.col("updated_at").dt.epoch("us").alias("_k")).sort(
                "_k", "po_id"
            )
            if after is not None:
                heads = heads.filter(
                    (pl.col("_k") > after[0])
                    | ((pl.col("_k") == after[0]) & (pl.col("po_id") > after[1]))
                )
            status = request.arg("status")
            if status is None:  # a page needs no more orders than its limit (and one to peek)
                heads = heads.head(limit + 1)
            wanted = rows.filter(pl.col("po_id").is_in(heads["po_id"].implode()))
            by_id = {po_id: group for (po_id,), group in wanted.group_by("po_id")}
            terms = self._terms()
            data: list[dict[str, Any]] = []
            last: tuple[int, str] | None = None
            has_more = False
            for head in heads.iter_rows(named=True):
                if len(data) == limit:
                    has_more = True
                    break
                last = (int(head["_k"]), str(head["po_id"]))
                order = self._render(by_id[head["po_id"]], terms)
                if status is None or order["status"] == status:
                    data.append(order)
        next_cursor = _encode_cursor(last) if has_more and last is not None else None
        return json_response({"data": data, "has_more": has_more, "next_cursor": next_cursor})

    # --- suppliers -------------------------------------------------------------------------

    @staticmethod
    def _supplier_json(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["supplier_id"],
            "name": row["name"],
            "email": row["email"],
            "lead_time_days": row["lead_time_days_mean"],
            "lead_time_days_sd": row["lead_time_days_sd"],
        }

    def _supplier_row(self, supplier_id: str) -> dict[str, Any]:
        hit = self.world.tables["suppliers"].filter(pl.col("supplier_id") == supplier_id)
        if hit.is_empty():
            raise _error(404, "not_found", f"no supplier {supplier_id!r}")
        return hit.row(0, named=True)

    def _suppliers(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            rows = list(self.world.tables["suppliers"].sort("supplier_id").iter_rows(named=True))
        return json_response({"data": [self._supplier_json(row) for row in rows]})

    def _supplier(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            return json_response(self._supplier_json(self._supplier_row(match["id"])))

    def _catalogue(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            supplier = self._supplier_row(match["id"])
            items = (
                self.world.tables["skus"]
                .join(
                    self.world.tables["products"].select("product_id", "supplier_id", "title"),
                    on="product_id",
                )
                .filter(pl.col("supplier_id") == match["id"])
                .sort("sku")
            )
            data = [
                {
                    "sku": row["sku"],
                    "product_id": row["product_id"],
                    "title": row["title"],
                    "colour": row["colour"],
                    "size": row["size"],
                    "jan": row["jan"],
                    "unit_cost_jpy": int(row["cost_jpy"]),
                    "moq": int(row["moq"]),
                    "case_pack": int(row["case_pack"]),
                    "lead_time_days": supplier["lead_time_days_mean"],
                    "available_from": row["launched_on"].isoformat()
                    if row["launched_on"]
                    else None,
                }
                for row in items.iter_rows(named=True)
            ]
        return json_response({"supplier": self._supplier_json(supplier), "items": data})


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise _error(400, "invalid_request", f"{name} must be an integer") from None


def _encode_cursor(position: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(position))).decode().rstrip("=")


def _decode_cursor(token: str | None) -> tuple[int, str] | None:
    if not token:
        return None
    try:
        key, po_id = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(key), str(po_id)
    except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError):
        raise _error(400, "invalid_request", "cursor is not one this API gave out") from None

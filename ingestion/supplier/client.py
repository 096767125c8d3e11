"""A client for the supplier purchase-order API: suppliers, catalogues and purchase orders.

Suppliers share no standard, so this speaks the sandbox's small Stripe-like design (see
`sandbox.simulators.supplier`); a real supplier portal that keeps these shapes is a matter of
the URL and API key the client is given (the caller reads ``ICHIGEN_SUPPLIER_URL`` and
``ICHIGEN_SUPPLIER_API_KEY``):

- every request carries ``Authorization: Bearer <api key>``, set per request so the key lives
  in this object only (and never in its ``repr``, an error message or a landed record);
- ``GET /v1/purchase_orders`` pages by an opaque ``next_cursor`` in ``updated_at`` order; the
  filters go with every page, because the cursor is a position inside the filtered list (each
  page carries the cursor of the page after it, and a listing can start at one, so a pull that
  failed goes on where it stopped);
- ``POST /v1/purchase_orders`` needs an ``Idempotency-Key``: the supplier answers a repeated
  key with the first answer and never places a second order, which is what makes retrying a
  POST after a dropped connection or a 5xx sound (`ResilientClient` does the retrying);
- errors are ``{"error": {"code", "message", "details"}}``; a refusal is raised as
  `SupplierRequestError` (or its subclasses) carrying the code and details, so a buyer can be
  shown which line was wrong and why.

Exceptions raised here, beside those of `ingestion.errors`::

    ChannelError
    └── SupplierRequestError          the supplier refused a request (4xx other than 401/403/429)
        ├── PurchaseOrderInvalidError 422 validation_failed: `problems` name each bad field
        └── IdempotencyKeyReusedError 422 idempotency_key_reused: a key sent with another body
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Final

import httpx
import orjson

from ichigen.ingestion.errors import ChannelError, ConfigurationError, UnexpectedResponseError
from ichigen.ingestion.http import DEFAULT_TIMEOUT, RateLimiter, ResilientClient, RetryPolicy, Sleep
from ichigen.ingestion.paging import Page

__all__ = [
    "DEFAULT_RATE_PER_S",
    "MAX_IDEMPOTENCY_KEY",
    "PAGE_LIMIT",
    "IdempotencyKeyReusedError",
    "OrderLine",
    "PlacedPurchaseOrder",
    "Problem",
    "PurchaseOrderInvalidError",
    "SupplierClient",
    "SupplierRequestError",
]

CHANNEL: Final = "supplier"
PAGE_LIMIT: Final = 500  # the API's largest page
# The API publishes no rate; a modest pace keeps a shared portal friendly. Like the published
# allowances of the other channels, ICHIGEN_RATE_MULTIPLIER scales it (a sandbox allows more).
DEFAULT_RATE_PER_S: Final = 10.0
MAX_IDEMPOTENCY_KEY: Final = 255
REPLAYED_HEADER: Final = "Idempotent-Replayed"


@dataclass(frozen=True)
class Problem:
    """One thing the supplier found wrong with a request, e.g. ``lines[1].quantity below_moq``."""

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} ({self.code})"


class SupplierRequestError(ChannelError):
    """The supplier refused a request; `code` and `problems` say why, as the API put it."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        problems: Sequence[Problem] = (),
    ) -> None:
        super().__init__(CHANNEL, message, status=status)
        self.code = code
        self.problems = tuple(problems)


class PurchaseOrderInvalidError(SupplierRequestError):
    """The purchase order breaks the supplier's terms (SKU, MOQ, case pack ...); nothing was
    stored, so fix the lines in `problems` and send again, under the same key if you like."""


class IdempotencyKeyReusedError(SupplierRequestError):
    """An idempotency key already placed a different purchase order: use a new key."""


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int  # units, a positive multiple of the SKU's case pack and at least its MOQ


@dataclass(frozen=True)
class PlacedPurchaseOrder:
    """The supplier's purchase order, and whether this answer repeated an earlier one."""

    purchase_order: dict[str, Any]
    # True when the key had placed the order before (an earlier attempt, or a crashed run):
    # the order exists once either way.
    replayed: bool

    @property
    def id(self) -> str:
        return str(self.purchase_order["id"])


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("updated_since must be timezone-aware (the API reads a naive time as JST)")
    return value.isoformat()


def _problems(raw: Any) -> list[Problem]:
    if not isinstance(raw, list):
        return []
    return [
        Problem(str(item.get("field", "")), str(item.get("code", "")), str(item.get("message", "")))
        for item in raw
        if isinstance(item, dict)
    ]


def _raise_refusal(response: httpx.Response) -> None:
    """Turn the supplier's error body into a typed error before the generic one is raised.

    `ResilientClient` keeps only a snippet of a 4xx body; the hook sees the whole response,
    so the details of a refused purchase order reach the caller intact. 401/403 and 429 are
    left to `ResilientClient` (an `AuthenticationError`, a retry).
    """
    status = response.status_code
    if status < 400 or status >= 500 or status in (401, 403, 429):
        return
    try:
        error = orjson.loads(response.content).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        error = None
    if not isinstance(error, dict):
        return  # not the documented shape: the generic ChannelError with a snippet will do
    code = str(error.get("code") or "error")
    problems = _problems(error.get("details"))
    message = f"{response.request.method} {response.request.url.path} was refused ({status} "
    message += f"{code}): {error.get('message') or ''}"
    if problems:
        message += "; " + "; ".join(str(p) for p in problems)
    kind: type[SupplierRequestError] = SupplierRequestError
    if code == "validation_failed":
        kind = PurchaseOrderInvalidError
    elif code == "idempotency_key_reused":
        kind = IdempotencyKeyReusedError
    raise kind(message, status=status, code=code, problems=problems)


class SupplierClient:
    """The supplier purchase-order API; use as a context manager or call `close`."""

    channel = CHANNEL

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = 10,
        page_limit: int = PAGE_LIMIT,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not url or not api_key:
            raise ConfigurationError(
                "supplier: the API URL and key are both needed; set ICHIGEN_SUPPLIER_URL and "
                "ICHIGEN_SUPPLIER_API_KEY"
            )
        self.base_url = url.rstrip("/")
        self._api_key = api_key
        self.page_limit = page_limit
        self.limiter = RateLimiter(rate_per_s=rate_per_s, burst=burst, sleep=sleep)
        self.http = ResilientClient(
            CHANNEL,
            http or httpx.Client(timeout=DEFAULT_TIMEOUT),
            retry=retry,
            limiter=self.limiter,
            on_response=_raise_refusal,
            sleep=sleep,
            rng=rng,
        )

    def __repr__(self) -> str:  # the key never reaches a log line
        return f"SupplierClient({self.base_url!r})"

    @property
    def retries(self) -> int:
        return self.http.retries

    # --- plumbing --------------------------------------------------------------------------

    def source(self, resource: str) -> str:
        """Where records of `resource` come from, for the landing metadata (no credentials)."""
        return f"{self.base_url}/v1/{resource}"

    def _send(
        self,
        method: str,
        resource: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, httpx.Response]:
        """Send and decode; a body that is not JSON is asked for again, like a broken one."""
        url = self.source(resource)
        sent = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            **(headers or {}),
        }
        for _ in range(self.http.retry.max_attempts):
            response = self.http.request(method, url, params=params, json=json, headers=sent)
            try:
                return orjson.loads(response.content), response
            except orjson.JSONDecodeError:
                self.http.retries += 1
        raise UnexpectedResponseError(CHANNEL, f"{method} {url} never returned valid JSON")

    def _object(self, method: str, resource: str, **kwargs: Any) -> tuple[dict[str, Any], bool]:
        body, response = self._send(method, resource, **kwargs)
        if not isinstance(body, dict) or "id" not in body:
            raise UnexpectedResponseError(
                CHANNEL, f"{method} {resource} answered without an object: {body!r:.300}"
            )
        return body, response.headers.get(REPLAYED_HEADER, "").lower() == "true"

    # --- reads -----------------------------------------------------------------------------

    def list_suppliers(self) -> list[dict[str, Any]]:
        """Every supplier, with its lead time (mean and spread, in days)."""
        body, _ = self._send("GET", "suppliers")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise UnexpectedResponseError(CHANNEL, "GET /v1/suppliers answered without a data list")
        return [item for item in data if isinstance(item, dict)]

    def catalogue(self, supplier_id: str) -> list[dict[str, Any]]:
        """The supplier's SKUs with unit cost, MOQ, case pack, lead time and JAN, as received.

        The API answers a catalogue in one piece (no paging).
        """
        resource = f"suppliers/{supplier_id}/catalogue"
        body, _ = self._send("GET", resource)
        items = body.get("items") if isinstance(body, dict) else None
        supplier = body.get("supplier") if isinstance(body, dict) else None
        if not isinstance(items, list) or not isinstance(supplier, dict):
            raise UnexpectedResponseError(
                CHANNEL, f"GET /v1/{resource} answered without supplier and items"
            )
        if supplier.get("id") != supplier_id:
            raise UnexpectedResponseError(
                CHANNEL, f"asked for {supplier_id}'s catalogue, got {supplier.get('id')!r}'s"
            )
        return [item for item in items if isinstance(item, dict)]

    def purchase_orders(
        self,
        *,
        updated_since: datetime | None = None,
        supplier_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Iterator[Page]:
        """Purchase orders changed at or after `updated_since`, a page at a time, oldest first.

        Oldest change first means an order that changes while we page moves ahead of us and is
        read again rather than skipped. `cursor`, a page's `following` from an earlier listing
        with the same filters, goes on from there.
        """
        params: dict[str, Any] = {"limit": limit or self.page_limit}
        if updated_since is not None:
            params["updated_since"] = _iso(updated_since)
        if supplier_id is not None:
            params["supplier_id"] = supplier_id
        if status is not None:
            params["status"] = status
        if cursor is not None:
            params["cursor"] = cursor
        while True:
            body, _ = self._send("GET", "purchase_orders", params=params)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise UnexpectedResponseError(
                    CHANNEL, "GET /v1/purchase_orders answered without a data list"
                )
            records = [item for item in data if isinstance(item, dict)]
            if not body.get("has_more"):
                yield Page(records, following=None)
                return
            following = body.get("next_cursor")
            if not isinstance(following, str) or not following or following == cursor:
                # Asking again would loop or stop early without saying so.
                raise UnexpectedResponseError(
                    CHANNEL, f"has_more without a new next_cursor (got {following!r})"
                )
            yield Page(records, following=following)
            cursor = following
            params = {**params, "cursor": cursor}

    def get_purchase_order(self, purchase_order_id: str) -> dict[str, Any]:
        """One purchase order; a `SupplierRequestError` with code ``not_found`` if none."""
        body, _ = self._object("GET", f"purchase_orders/{purchase_order_id}")
        return body

    # --- writes ----------------------------------------------------------------------------

    def create_purchase_order(
        self,
        supplier_id: str,
        ship_to_location_id: str,
        reference: str,
        lines: Sequence[OrderLine],
        *,
        idempotency_key: str,
    ) -> PlacedPurchaseOrder:
        """Place a purchase order once, however often this (or a crashed run) sends it.

        `idempotency_key` must be the same for every attempt at this order (the ops store's
        outbox id is a good one) and new for every other order. Transport errors and 5xx are
        retried under the key; a refusal raises `PurchaseOrderInvalidError` with each problem.
        """
        key = idempotency_key.strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            raise ValueError(f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        body, replayed = self._object(
            "POST",
            "purchase_orders",
            json={
                "supplier_id": supplier_id,
                "ship_to_location_id": ship_to_location_id,
                "reference": reference,
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in lines],
            },
            headers={"Idempotency-Key": key},
        )
        return PlacedPurchaseOrder(purchase_order=body, replayed=replayed)

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SupplierClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""Rakuten RMS Web Service client: order search and retrieval, stock reads and pushes.

Speaks the public RMS APIs (pointing it at a real shop is a matter of the base URL and
credentials it is given; the caller reads them from ``ICHIGEN_RAKUTEN_*``):

- ``POST /es/2.0/order/searchOrder/``: order numbers by one of the order's dates, in windows
  of at most 63 days and pages of at most 1,000; results past the 15,000th are never returned,
  so a crowded window is searched again in halves;
- ``POST /es/2.0/order/getOrder/``: up to 100 orders a request as ``OrderModel`` (version
  `GET_ORDER_VERSION`: from 7 on items carry the shop's SKU in ``SkuModelList``);
- ``POST /es/2.0/inventories/bulk-get`` (1,000 keys) and ``bulk-upsert`` (400 entries), keyed
  by ``manageNumber`` and ``variantId``; pushes always set an ``ABSOLUTE`` quantity so that
  sending one twice is harmless.

Every request carries ``Authorization: ESA base64(serviceSecret:licenseKey)``, set per request
so an injected `httpx.Client` needs no configuration and the credentials live nowhere else.
RMS limits each API separately (about one request a second; five for bulk-get), so each gets
its own `RateLimiter`.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Final

import httpx

from ichigen.ingestion.errors import ChannelError, UnexpectedResponseError
from ichigen.ingestion.http import DEFAULT_TIMEOUT, RateLimiter, ResilientClient, RetryPolicy, Sleep
from ichigen.ingestion.rakuten.search import DateType, halve, rms_time, windows

__all__ = [
    "GET_ORDER_VERSION",
    "MAX_BULK_GET",
    "MAX_BULK_UPSERT",
    "MAX_GET_ORDER",
    "MAX_PAGE_RECORDS",
    "MAX_QUANTITY",
    "MAX_SEARCH_RESULTS",
    "InventoryKey",
    "OrderBatch",
    "RakutenClient",
    "RakutenRates",
    "StockLevel",
    "esa_authorization",
]

CHANNEL: Final = "rakuten"
SEARCH_ORDER: Final = "/es/2.0/order/searchOrder/"
GET_ORDER: Final = "/es/2.0/order/getOrder/"
BULK_GET: Final = "/es/2.0/inventories/bulk-get"
BULK_UPSERT: Final = "/es/2.0/inventories/bulk-upsert"

GET_ORDER_VERSION: Final = 10
MAX_PAGE_RECORDS: Final = 1000
MAX_SEARCH_RESULTS: Final = 15000
MAX_GET_ORDER: Final = 100
MAX_BULK_GET: Final = 1000
MAX_BULK_UPSERT: Final = 400
MAX_QUANTITY: Final = 99999
# Ascending by order date: orders placed during a pass then join the last page instead of
# shifting every page after them.
_OLDEST_FIRST: Final = [{"sortColumn": 1, "sortDirection": 1}]


def esa_authorization(service_secret: str, license_key: str) -> str:
    """The ``Authorization`` header value RMS expects."""
    token = base64.b64encode(f"{service_secret}:{license_key}".encode()).decode()
    return f"ESA {token}"


@dataclass(frozen=True)
class RakutenRates:
    """Requests per second per API; the defaults are RMS's published allowances."""

    search_order: float = 1.0
    get_order: float = 1.0
    inventory_get: float = 5.0
    inventory_upsert: float = 1.0


@dataclass(frozen=True)
class InventoryKey:
    manage_number: str  # 商品管理番号; RMS folds it to lower case
    variant_id: str  # SKU管理番号; case-sensitive


@dataclass(frozen=True)
class StockLevel:
    manage_number: str
    variant_id: str
    quantity: int  # absolute, 0..99999


@dataclass
class OrderBatch:
    orders: list[dict[str, Any]]
    missing: list[str] = field(default_factory=list)  # numbers getOrder says do not exist


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class RakutenClient:
    """One shop's RMS APIs, with retries, backoff and per-API pacing."""

    channel = CHANNEL

    def __init__(
        self,
        *,
        base_url: str,
        service_secret: str,
        license_key: str,
        http: httpx.Client | None = None,
        rates: RakutenRates | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.Client(timeout=DEFAULT_TIMEOUT)
        self._headers = {
            "Authorization": esa_authorization(service_secret, license_key),
            "Content-Type": "application/json; charset=utf-8",
        }
        rates = rates or RakutenRates()
        rng = rng or random.Random()

        def api(rate: float) -> ResilientClient:
            limiter = RateLimiter(rate_per_s=rate, burst=max(1, int(rate)), sleep=sleep)
            return ResilientClient(
                CHANNEL, self._http, retry=retry, limiter=limiter, sleep=sleep, rng=rng
            )

        self._search = api(rates.search_order)
        self._get = api(rates.get_order)
        self._inventory_get = api(rates.inventory_get)
        self._inventory_upsert = api(rates.inventory_upsert)

    @property
    def retries(self) -> int:
        """Requests repeated so far, across every API: a run's health, not an error."""
        apis = (self._search, self._get, self._inventory_get, self._inventory_upsert)
        return sum(api.retries for api in apis)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RakutenClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _post(self, api: ResilientClient, path: str, body: dict[str, Any]) -> Any:
        return api.request_json("POST", self.base_url + path, json=body, headers=self._headers)

    # --- orders ----------------------------------------------------------------------------

    def search_order_numbers(
        self, *, date_type: DateType, start: datetime, end: datetime
    ) -> Iterator[str]:
        """Every order number whose `date_type` date is in [start, end], any length of time.

        Numbers may repeat (offset paging repeats a few when orders arrive during a pass);
        callers that need each once keep a set.
        """
        for window_start, window_end in windows(start, end):
            yield from self._search_window(date_type, window_start, window_end)

    def _search_window(self, date_type: DateType, start: datetime, end: datetime) -> Iterator[str]:
        numbers, total, pages = self._search_page(date_type, start, end, page=1)
        if total > MAX_SEARCH_RESULTS:
            halves = halve(start, end)
            if halves is None:
                raise ChannelError(
                    CHANNEL,
                    f"{total} orders share the second {rms_time(start)}; searchOrder returns "
                    f"at most {MAX_SEARCH_RESULTS}, so some of them cannot be read",
                )
            for half_start, half_end in halves:
                yield from self._search_window(date_type, half_start, half_end)
            return
        yield from numbers
        for page in range(2, pages + 1):
            yield from self._search_page(date_type, start, end, page=page)[0]

    def _search_page(
        self, date_type: DateType, start: datetime, end: datetime, *, page: int
    ) -> tuple[list[str], int, int]:
        body = self._post(
            self._search,
            SEARCH_ORDER,
            {
                "dateType": int(date_type),
                "startDatetime": rms_time(start),
                "endDatetime": rms_time(end),
                "PaginationRequestModel": {
                    "requestRecordsAmount": MAX_PAGE_RECORDS,
                    "requestPage": page,
                    "SortModelList": _OLDEST_FIRST,
                },
            },
        )
        numbers = body.get("orderNumberList") if isinstance(body, dict) else None
        paging = body.get("PaginationResponseModel") if isinstance(body, dict) else None
        if not isinstance(numbers, list) or not isinstance(paging, dict):
            raise UnexpectedResponseError(
                CHANNEL, f"searchOrder answered without orderNumberList/paging: {body!r:.300}"
            )
        # An empty result carries null counts (INFO 102), not zeros.
        total = int(paging.get("totalRecordsAmount") or 0)
        pages = int(paging.get("totalPages") or 0)
        return [str(number) for number in numbers], total, pages

    def get_orders(self, numbers: Sequence[str]) -> OrderBatch:
        """Up to `MAX_GET_ORDER` orders; numbers RMS does not know are listed as missing."""
        if not 1 <= len(numbers) <= MAX_GET_ORDER:
            raise ValueError(
                f"getOrder takes 1 to {MAX_GET_ORDER} order numbers, not {len(numbers)}"
            )
        body = self._post(
            self._get,
            GET_ORDER,
            {"orderNumberList": list(numbers), "version": GET_ORDER_VERSION},
        )
        orders = body.get("OrderModelList") if isinstance(body, dict) else None
        if not isinstance(orders, list):
            raise UnexpectedResponseError(
                CHANNEL, f"getOrder answered without OrderModelList: {body!r:.300}"
            )
        batch = OrderBatch(orders=[o for o in orders if isinstance(o, dict)])
        for message in body.get("MessageModelList") or []:
            if not isinstance(message, dict) or message.get("messageType") != "ERROR":
                continue
            if message.get("orderNumber"):  # one order's problem, not the batch's
                batch.missing.append(str(message["orderNumber"]))
            else:
                raise UnexpectedResponseError(
                    CHANNEL,
                    f"getOrder reported {message.get('messageCode')}: {message.get('message')}",
                )
        return batch

    def iter_orders(self, numbers: Iterable[str]) -> Iterator[OrderBatch]:
        """getOrder over any number of order numbers, `MAX_GET_ORDER` at a time."""
        for chunk in _chunks(numbers, MAX_GET_ORDER):
            yield self.get_orders(chunk)

    # --- inventory -------------------------------------------------------------------------

    def get_inventories(self, keys: Iterable[InventoryKey]) -> Iterator[list[dict[str, Any]]]:
        """Stock of the given SKUs, a bulk-get at a time (SKUs without stock are left out)."""
        for chunk in _chunks(dict.fromkeys(keys), MAX_BULK_GET):
            body = self._post(
                self._inventory_get,
                BULK_GET,
                {
                    "inventories": [
                        {"manageNumber": key.manage_number, "variantId": key.variant_id}
                        for key in chunk
                    ]
                },
            )
            found = body.get("inventories") if isinstance(body, dict) else None
            if not isinstance(found, list):
                raise UnexpectedResponseError(
                    CHANNEL, f"inventories/bulk-get answered without inventories: {body!r:.300}"
                )
            yield [entry for entry in found if isinstance(entry, dict)]

    def set_stock(self, levels: Iterable[StockLevel]) -> int:
        """Set absolute quantities, `MAX_BULK_UPSERT` a request; returns how many were sent.

        Every level is checked before the first request, so a bad one sends nothing.
        """
        pending = list(levels)
        for level in pending:
            if not 0 <= level.quantity <= MAX_QUANTITY:
                raise ValueError(
                    f"{level.manage_number}/{level.variant_id}: quantity {level.quantity} is "
                    f"outside RMS's 0..{MAX_QUANTITY}"
                )
        for chunk in _chunks(pending, MAX_BULK_UPSERT):
            self._post(
                self._inventory_upsert,
                BULK_UPSERT,
                {
                    "inventories": [
                        {
                            "manageNumber": level.manage_number,
                            "variantId": level.variant_id,
                            "mode": "ABSOLUTE",
                            "quantity": level.quantity,
                        }
                        for level in chunk
                    ]
                },
            )
        return len(pending)

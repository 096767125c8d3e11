"""Rakuten RMS Web Service simulator: the shop's orders and stock on 楽天市場.

Endpoints, under the same paths as ``https://api.rms.rakuten.co.jp``:

- ``POST /es/2.0/order/searchOrder/``: order numbers by ``dateType`` window (at most 63 days,
  within the last 730), ``orderProgressList`` and ``PaginationRequestModel`` (at most 1,000 a
  page; nothing past the 15,000th result). See `orders`.
- ``POST /es/2.0/order/getOrder/``: up to 100 orders by number as ``OrderModel`` (``version``
  3 to 10); an unknown number gets its own ``ERROR`` message carrying ``orderNumber`` and does
  not fail the batch. See `order_json`.
- ``POST /es/2.0/inventories/bulk-get`` and ``bulk-upsert``, and ``GET``/``PUT
  /es/2.0/inventories/manage-numbers/{manageNumber}/variants/{variantId}`` (2.1 paths too).
  See `inventory`.

As on RMS: every request needs ``Authorization: ESA base64(serviceSecret:licenseKey)`` (401
``ES04-01`` otherwise); each API has its own request rate, answered with 429 when exceeded.
RMS allows about one request a second (five for bulk-get); ``realistic=True`` applies that, the
default allows ten a second so that a sandbox ingest is quick.

Data faults (when the run's `FaultPlan` asks for them): ``duplicates`` makes a searchOrder
page after the first start with a few order numbers of the page before (the page is that much
longer than asked), as offset paging does when orders arrive during a pass; ``late_updates``
edits a recent order (its memo) just before a search answers, stamped minutes before the
newest change, so only a connector that re-reads a lookback window of order dates sees it.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS, RakutenCredentials
from ichigen.sandbox.simulators.http import (
    HttpError,
    Request,
    Response,
    SimulatorApp,
    json_response,
)
from ichigen.sandbox.simulators.rakuten.documented import DocumentedOrders
from ichigen.sandbox.simulators.rakuten.format import (
    bad_inventory_request,
    gateway_error,
    message,
    order_error,
)
from ichigen.sandbox.simulators.rakuten.inventory import (
    apply_upserts,
    not_found,
    parse_keys,
    parse_upserts,
    read_inventory,
)
from ichigen.sandbox.simulators.rakuten.order_json import SUPPORTED_VERSIONS, OrderRenderer
from ichigen.sandbox.simulators.rakuten.orders import order_frame, parse_search, search
from ichigen.sandbox.simulators.ratelimit import TokenBucket
from ichigen.sandbox.world import World

__all__ = ["MAX_GET_ORDER", "RakutenApp", "rate_limits"]

MAX_GET_ORDER: Final = 100
_ORDER: Final = r"/es/2\.0/order"
_INVENTORY: Final = r"/es/2\.[01]/inventories"
_VARIANT: Final = _INVENTORY + r"/manage-numbers/(?P<manage>[^/]+)/variants/(?P<variant>[^/]+)"
# Which rate limit a path counts against, RMS limiting each API separately.
_OPERATIONS: Final = (
    (re.compile(_ORDER + r"/searchOrder/?$"), "order.searchOrder"),
    (re.compile(_ORDER + r"/getOrder/?$"), "order.getOrder"),
    (re.compile(_INVENTORY + r"/bulk-get$"), "inventories.bulk.get"),
    (re.compile(_INVENTORY + r"/bulk-upsert$"), "inventories.bulk.upsert"),
)
_REALISTIC_RATES: Final = {"inventories.bulk.get": 5.0}
_MAX_REPEATED: Final = 5  # order numbers a duplicates fault repeats at most
_MAX_LATE_MINUTES: Final = 20
_LATE_EDIT_HORIZON: Final = timedelta(days=3)


def rate_limits(
    *, realistic: bool = False, rate_per_s: float | None = None, burst: int | None = None
) -> dict[str, TokenBucket]:
    """One token bucket per API; explicit `rate_per_s`/`burst` override both presets."""
    names = [name for _, name in _OPERATIONS] + ["inventories.variants"]
    buckets = {}
    for name in names:
        rate = rate_per_s or (_REALISTIC_RATES.get(name, 1.0) if realistic else 10.0)
        buckets[name] = TokenBucket(rate_per_s=rate, burst=burst or max(1, int(rate)))
    return buckets


class RakutenApp(SimulatorApp):
    """RMS's order and inventory APIs over the shared `World`."""

    name = "rakuten"

    def __init__(
        self,
        world: World,
        credentials: RakutenCredentials = SANDBOX_CREDENTIALS.rakuten,
        *,
        realistic: bool = False,
        buckets: dict[str, TokenBucket] | None = None,
        documented: DocumentedOrders | None = None,
    ) -> None:
        super().__init__()
        self.world = world
        # published OrderModels answered in place of the world's (tests/documented/)
        self.documented = documented
        self._credentials = f"{credentials.service_secret}:{credentials.license_key}"
        self.buckets = buckets or rate_limits(realistic=realistic)
        self.route("POST", _ORDER + r"/searchOrder/?", self._search_order)
        self.route("POST", _ORDER + r"/getOrder/?", self._get_order)
        self.route("POST", _INVENTORY + r"/bulk-get", self._bulk_get)
        self.route("POST", _INVENTORY + r"/bulk-upsert", self._bulk_upsert)
        self.route("GET", _VARIANT, self._variant_get)
        self.route("PUT", _VARIANT, self._variant_put)

    # --- channel hooks ---------------------------------------------------------------------

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.strip().partition(" ")
        if scheme.upper() != "ESA":
            return False
        try:
            return base64.b64decode(token.strip(), validate=True).decode() == self._credentials
        except (binascii.Error, UnicodeDecodeError):
            return False

    def before(self, request: Request) -> Response | None:
        if not self._authorized(request.headers.get("authorization", "")):
            return gateway_error(401, "Unauthorized")
        operation = next(
            (name for pattern, name in _OPERATIONS if pattern.search(request.path)),
            "inventories.variants",
        )
        if not self.buckets[operation].hit().allowed:
            return self.too_many_requests()
        return None

    def error_body(self, status: int, message: str) -> Response:
        return gateway_error(status, message)

    def too_many_requests(self) -> Response:
        return gateway_error(429, "Too Many Requests")

    # --- orders ----------------------------------------------------------------------------

    @staticmethod
    def _order_body(request: Request, api: str, empty: dict[str, Any]) -> Any:
        if not request.body:
            return {}
        try:
            return request.json()
        except HttpError:
            raise order_error(api, [("011", "リクエストの書式が不正です。")], empty=empty) from None

    def _maybe_late_update(self) -> None:
        """The late_updates fault: edit a recent order, stamped behind the newest change."""
        if not self.faults.chance("late_updates"):
            return
        orders = self.world.visible_orders("rakuten")
        if orders.is_empty():
            return
        newest = orders["updated_at"].max()
        assert isinstance(newest, datetime)
        at = newest - timedelta(minutes=1 + self.faults.pick(_MAX_LATE_MINUTES))
        candidates = orders.filter(
            (pl.col("created_at") < at)
            & (pl.col("created_at") >= self.world.now - _LATE_EDIT_HORIZON)
            & pl.col("cancelled_at").is_null()
        )
        if not candidates.is_empty():
            order_id = candidates["order_id"][self.faults.pick(candidates.height)]
            self.world.touch_order(order_id, at)

    def _search_order(self, request: Request, match: re.Match[str]) -> Response:
        empty = {"orderNumberList": None, "PaginationResponseModel": None}
        body = self._order_body(request, "SEARCH_ORDER", empty)
        with self.world.lock:
            criteria = parse_search(body, now=self.world.now)
            frame: pl.DataFrame | None = None
            if self.documented is not None:
                result = self.documented.search(criteria)
            else:
                self._maybe_late_update()
                frame = order_frame(self.world)
                result = search(frame, criteria)
            numbers = result.order_numbers
            repeatable = frame is not None and criteria.page > 1 and bool(numbers)
            if frame is not None and repeatable and self.faults.chance("duplicates"):
                before = search(frame, replace(criteria, page=criteria.page - 1)).order_numbers
                numbers = before[-(1 + self.faults.pick(_MAX_REPEATED)) :] + numbers
        if result.total == 0:
            return json_response(
                {
                    "orderNumberList": [],
                    "MessageModelList": [
                        message(
                            "INFO",
                            "ORDER_EXT_API_SEARCH_ORDER_INFO_102",
                            "注文検索に成功しました。(検索結果０件)",
                        )
                    ],
                    "PaginationResponseModel": {
                        "totalRecordsAmount": None,
                        "totalPages": None,
                        "requestPage": None,
                    },
                }
            )
        return json_response(
            {
                "orderNumberList": numbers,
                "MessageModelList": [
                    message(
                        "INFO", "ORDER_EXT_API_SEARCH_ORDER_INFO_101", "注文検索に成功しました。"
                    )
                ],
                "PaginationResponseModel": {
                    "totalRecordsAmount": result.total,
                    "totalPages": result.pages,
                    "requestPage": criteria.page,
                },
            }
        )

    @staticmethod
    def _get_order_request(body: Any) -> tuple[list[str], int]:
        body = body if isinstance(body, dict) else {}
        problems: list[tuple[str, str]] = []
        numbers = body.get("orderNumberList")
        if numbers is None:
            problems.append(("009", "orderNumberListの項目を指定して下さい。"))
        elif not isinstance(numbers, list) or not numbers:
            problems.append(("010", "orderNumberListの値を指定して下さい。"))
        elif not all(isinstance(n, str) and n for n in numbers):
            problems.append(("011", "orderNumberListの書式が不正です。"))
        elif len(numbers) > MAX_GET_ORDER:
            problems.append(("012", f"orderNumberListは{MAX_GET_ORDER}件以内で指定して下さい。"))
        raw = body.get("version")
        version = int(raw) if isinstance(raw, (int, str)) and str(raw).isdigit() else None
        if raw is None:
            problems.append(("009", "versionの項目を指定して下さい。"))
        elif version not in SUPPORTED_VERSIONS:
            problems.append(("013", "versionの値が不正です。"))
        if problems:
            raise order_error("GET_ORDER", problems, empty={"OrderModelList": None})
        assert isinstance(numbers, list) and version is not None
        return list(dict.fromkeys(numbers)), version

    def _get_order(self, request: Request, match: re.Match[str]) -> Response:
        body = self._order_body(request, "GET_ORDER", {"OrderModelList": None})
        numbers, version = self._get_order_request(body)
        if self.documented is not None:
            found = self.documented.get(numbers)
            return self._get_order_answer(numbers, list(found.values()), set(found), version)
        with self.world.lock:
            frame = order_frame(self.world, numbers)
            renderer = OrderRenderer(self.world, frame, version=version)
            rows = {row["channel_order_id"]: row for row in frame.iter_rows(named=True)}
            orders = [renderer.render(rows[n]) for n in numbers if n in rows]
        return self._get_order_answer(numbers, orders, set(rows), version)

    @staticmethod
    def _get_order_answer(
        numbers: list[str], orders: list[dict[str, Any]], found: set[str], version: int
    ) -> Response:
        messages = []
        if orders:
            messages.append(
                message(
                    "INFO",
                    "ORDER_EXT_API_GET_ORDER_INFO_101",
                    f"受注情報取得に成功しました。(取得件数{len(orders)}件)",
                )
            )
        messages += [
            message(
                "ERROR",
                "ORDER_EXT_API_GET_ORDER_ERROR_020",
                "指定された注文番号の注文が存在しません。",
                orderNumber=number,
            )
            for number in numbers
            if number not in found
        ]
        payload: dict[str, Any] = {"MessageModelList": messages, "OrderModelList": orders}
        if version >= 6:
            payload["version"] = version
        return json_response(payload)

    # --- inventory -------------------------------------------------------------------------

    @staticmethod
    def _inventory_body(request: Request) -> Any:
        try:
            return request.json()
        except HttpError as exc:
            raise bad_inventory_request("IE0002", exc.message) from None

    def _bulk_get(self, request: Request, match: re.Match[str]) -> Response:
        keys = parse_keys(self._inventory_body(request))
        with self.world.lock:
            inventories = read_inventory(self.world, keys)
        return json_response({"inventories": inventories})

    def _bulk_upsert(self, request: Request, match: re.Match[str]) -> Response:
        upserts = parse_upserts(self._inventory_body(request))
        with self.world.lock:
            apply_upserts(self.world, upserts)
        return Response(status=204)

    def _variant_get(self, request: Request, match: re.Match[str]) -> Response:
        key = (match["manage"].lower(), match["variant"])
        with self.world.lock:
            found = read_inventory(self.world, [key])
        if not found:
            raise not_found(key)
        return json_response(found[0])

    def _variant_put(self, request: Request, match: re.Match[str]) -> Response:
        key = (match["manage"].lower(), match["variant"])
        upserts = parse_upserts(self._inventory_body(request), key=key)
        with self.world.lock:
            apply_upserts(self.world, upserts)
        return Response(status=204)

"""The Amazon Selling Partner API simulator (Amazon.co.jp, marketplace A1VC38T7YXB528).

Serves the world's ``amazon`` orders (FBA-JP orders as AFN, the others as MFN) through the real
SP-API shapes, so that a connector written against this simulator talks to the real
sellingpartnerapi-fe.amazon.com by changing its URLs and credentials:

- ``POST /auth/o2/token``: Login with Amazon, refresh token -> access token (`auth`);
- ``POST /tokens/2021-03-01/restrictedDataToken``: a Restricted Data Token that opens the
  orders' buyer and shipping-address data (`tokens`; refused with `pii_role=False`);
- ``GET /orders/v0/orders``, ``/orders/v0/orders/{id}``, ``/orders/v0/orders/{id}/orderItems``
  (`orders`, shapes in `order_json`);
- ``GET /finances/v0/financialEvents``: refunds as ``RefundEventList`` (`finances`);
- ``GET /fba/inventory/v1/summaries``: the stock at FBA-JP (`inventory`);
- ``GET|PATCH /listings/2021-08-01/items/{sellerId}/{sku}``: read a listing, set its MFN
  quantity in the world (`listings`).

With a `DocumentedAccount` (`documented`) the orders, their items, the refunds and the FBA
summaries are that account's documents (Amazon's published examples) instead of the world's;
sign-in, RDTs, rate limits and paging stay as they are.

Every API call needs a live access token in ``x-amz-access-token`` (403 otherwise), or an RDT
issued for that call. Each
operation has its own token bucket, as on Amazon; the sandbox's default rates are far above
Amazon's (getOrders is 0.0167 requests/s there, which would make a sandbox ingest take hours)
and are set per operation with the `rates` option or `set_rate`; `REAL_RATES` holds Amazon's.
Every throttled operation's answer carries ``x-amzn-RateLimit-Limit``, and a 429 is
``QuotaExceeded`` without ``Retry-After``, as Amazon sends it: clients pace themselves from the
header. Every answer carries an ``x-amzn-RequestId``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import unquote

from ichigen.sandbox.simulators.amazon.auth import DEFAULT_TOKEN_TTL_S, LwaTokens
from ichigen.sandbox.simulators.amazon.common import error_payload, require_marketplace
from ichigen.sandbox.simulators.amazon.documented import DocumentedAccount
from ichigen.sandbox.simulators.amazon.finances import FinancesApi
from ichigen.sandbox.simulators.amazon.inventory import DEFAULT_INVENTORY_PAGE_SIZE, InventoryApi
from ichigen.sandbox.simulators.amazon.listings import DEFAULT_MFN_LOCATION, ListingsApi
from ichigen.sandbox.simulators.amazon.orders import DEFAULT_ITEMS_PAGE_SIZE, OrdersApi
from ichigen.sandbox.simulators.amazon.tokens import RDT_PATH, RestrictedTokens
from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS, AmazonCredentials
from ichigen.sandbox.simulators.http import (
    HttpError,
    Request,
    Response,
    SimulatorApp,
    json_response,
)
from ichigen.sandbox.simulators.ratelimit import TokenBucket
from ichigen.sandbox.world import World

__all__ = ["REAL_RATES", "SANDBOX_RATES", "AmazonApp"]

Rate = tuple[float, int]  # (requests per second, burst)

# Amazon's default usage plans (requests per second, burst), from the SP-API references.
REAL_RATES: Final[Mapping[str, Rate]] = {
    "createRestrictedDataToken": (1.0, 10),
    "getOrders": (0.0167, 20),
    "getOrder": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "listFinancialEvents": (0.5, 30),
    "getInventorySummaries": (2.0, 2),
    "getListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 10),
}
# The sandbox's defaults: the same buckets, fast enough for a full ingest in seconds. The
# items call is one per order, so it gets the most room (the real API's 0.5/s is why real
# integrations of a large shop move to reports; see the connector's notes).
SANDBOX_RATES: Final[Mapping[str, Rate]] = {
    "createRestrictedDataToken": (10.0, 10),
    "getOrders": (20.0, 20),
    "getOrder": (30.0, 30),
    "getOrderItems": (400.0, 400),
    "listFinancialEvents": (20.0, 30),
    "getInventorySummaries": (10.0, 10),
    "getListingsItem": (10.0, 10),
    "patchListingsItem": (10.0, 10),
}
_TOKEN_PATH: Final = "/auth/o2/token"
_ERROR_CODES: Final = {
    400: "InvalidInput",
    403: "Unauthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "RequestTooLarge",
    415: "UnsupportedMediaType",
    429: "QuotaExceeded",
    500: "InternalFailure",
    502: "InternalFailure",
    503: "ServiceUnavailable",
}

Operation = Callable[[Request, "re.Match[str]"], Any]


class AmazonApp(SimulatorApp):
    name = "amazon"

    def __init__(
        self,
        world: World,
        credentials: AmazonCredentials = SANDBOX_CREDENTIALS.amazon,
        *,
        token_ttl_s: float = DEFAULT_TOKEN_TTL_S,
        rates: Mapping[str, Rate] | None = None,
        items_page_size: int = DEFAULT_ITEMS_PAGE_SIZE,
        inventory_page_size: int = DEFAULT_INVENTORY_PAGE_SIZE,
        mfn_location: str = DEFAULT_MFN_LOCATION,
        pii_role: bool = True,
        documented: DocumentedAccount | None = None,
    ) -> None:
        super().__init__()
        self.world = world
        self.documented = documented
        self.tokens = LwaTokens(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            refresh_token=credentials.refresh_token,
            ttl_s=token_ttl_s,
        )
        self.restricted = RestrictedTokens(pii_role=pii_role, ttl_s=token_ttl_s)
        self.buckets: dict[str, TokenBucket] = {}
        for operation, (rate, burst) in {**SANDBOX_RATES, **(rates or {})}.items():
            self.set_rate(operation, rate_per_s=rate, burst=burst)
        market = credentials.marketplace_id
        self.orders = OrdersApi(world, marketplace_id=market, items_page_size=items_page_size)
        self.finances = FinancesApi(world)
        self.inventory = InventoryApi(world, marketplace_id=market, page_size=inventory_page_size)
        self.listings = ListingsApi(
            world, seller_id=credentials.seller_id, marketplace_id=market, mfn_location=mfn_location
        )
        self.route("POST", _TOKEN_PATH, lambda request, _: self.tokens.exchange(request))
        self._operation(
            "POST",
            RDT_PATH,
            "createRestrictedDataToken",
            lambda request, _: self.restricted.create(request),
        )
        self._operation("GET", r"/orders/v0/orders", "getOrders", self._get_orders)
        order = r"/orders/v0/orders/(?P<order>[^/]+)"
        self._operation("GET", order, "getOrder", self._get_order)
        self._operation("GET", order + "/orderItems", "getOrderItems", self._get_order_items)
        self._operation(
            "GET", r"/finances/v0/financialEvents", "listFinancialEvents", self._financial_events
        )
        self._operation(
            "GET",
            r"/fba/inventory/v1/summaries",
            "getInventorySummaries",
            self._inventory_summaries,
        )
        item = r"/listings/2021-08-01/items/(?P<seller>[^/]+)/(?P<sku>[^/]+)"
        self._operation(
            "GET",
            item,
            "getListingsItem",
            lambda request, m: self.listings.get_item(request, m["seller"], unquote(m["sku"])),
        )
        self._operation(
            "PATCH",
            item,
            "patchListingsItem",
            lambda request, m: self.listings.patch_item(request, m["seller"], unquote(m["sku"])),
        )

    def set_rate(self, operation: str, *, rate_per_s: float, burst: int) -> None:
        """Give `operation` a fresh token bucket (tests shrink it to meet throttling quickly)."""
        self.buckets[operation] = TokenBucket(rate_per_s=rate_per_s, burst=burst)

    # --- hooks of SimulatorApp ----------------------------------------------------------------

    def before(self, request: Request) -> Response | None:
        if request.path == _TOKEN_PATH:
            return None
        token = request.headers.get("x-amz-access-token")
        if token and self.restricted.is_restricted_token(token):
            problem = self.restricted.check(token, request.method, request.path)
        else:
            problem = self.tokens.check(token)
        return None if problem is None else problem.response

    def dispatch(self, request: Request) -> Response:
        response = super().dispatch(request)
        response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        return response

    def error_body(self, status: int, message: str) -> Response:
        code = _ERROR_CODES.get(status, "InternalFailure")
        return json_response(error_payload(code, message), status=status)

    def too_many_requests(self) -> Response:
        # Amazon's 429 has no Retry-After: clients pace themselves from x-amzn-RateLimit-Limit.
        return self.error_body(429, "You exceeded your quota for the requested resource.")

    # --- operations -----------------------------------------------------------------------

    def _operation(self, method: str, pattern: str, operation: str, handler: Operation) -> None:
        """Route `handler` behind the operation's token bucket; it returns the JSON body."""

        def run(request: Request, match: re.Match[str]) -> Response:
            bucket = self.buckets[operation]
            if not bucket.hit().allowed:
                return self.too_many_requests()
            headers = {"x-amzn-RateLimit-Limit": f"{bucket.rate_per_s:g}"}
            try:
                return json_response(handler(request, match), headers=headers)
            except HttpError as exc:
                response = exc.response or self.error_body(exc.status, exc.message)
                response.headers.update(headers)
                return response

        self.route(method, pattern, run)

    def _get_orders(self, request: Request, match: re.Match[str]) -> Any:
        require_marketplace(request, "MarketplaceIds", self.listings.marketplace_id)
        pii = self.restricted.elements(request)
        orders = self.documented or self.orders
        return {"payload": orders.get_orders(request, self.faults, pii=pii)}

    def _get_order(self, request: Request, match: re.Match[str]) -> Any:
        pii = self.restricted.elements(request)
        orders = self.documented or self.orders
        return {"payload": orders.get_order(unquote(match["order"]), pii=pii)}

    def _get_order_items(self, request: Request, match: re.Match[str]) -> Any:
        orders = self.documented or self.orders
        return {"payload": orders.get_order_items(request, unquote(match["order"]))}

    def _financial_events(self, request: Request, match: re.Match[str]) -> Any:
        finances = self.documented or self.finances
        return {"payload": finances.list_financial_events(request)}

    def _inventory_summaries(self, request: Request, match: re.Match[str]) -> Any:
        if self.documented is not None:
            require_marketplace(request, "marketplaceIds", self.listings.marketplace_id)
            return self.documented.summaries(request, self.listings.marketplace_id)
        return self.inventory.summaries(request)

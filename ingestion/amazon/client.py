"""A client for the Amazon Selling Partner API: orders, order items, FBA stock, refunds, listings.

It speaks SP-API as Amazon publishes it (the sandbox simulator serves the same shapes), so a
real seller account is a matter of the `AmazonConfig` it is given (the caller fills it from the
``ICHIGEN_AMAZON_*`` variables; the client never reads the environment itself):

- every call carries an LWA access token (`ingestion.amazon.auth`), refreshed before it expires
  and once more when a call is refused with 403 (an expired or revoked token);
- each operation has its own usage plan (a token bucket: a rate and a burst), so each gets its
  own `RateLimiter`, started at Amazon's published default and then set to the rate the API
  announces (`ingestion.amazon.rates`);
- Amazon's 429 (``QuotaExceeded``) carries no Retry-After: `ResilientClient` backs off
  exponentially with jitter, and the operation's bucket is drained so the pace drops too;
- lists page with ``NextToken`` (Orders, Finances) or ``pagination.nextToken`` (FBA Inventory);
  a getOrders or Finances page carries its token for the page after it, and the listing can
  start at such a token, so a pull that failed goes on where it stopped;
- getOrders asks for the buyers' shipping address and buyer info with a Restricted Data Token
  (Tokens API, ``POST /tokens/2021-03-01/restrictedDataToken``) sent in ``x-amz-access-token``
  instead of the LWA token; an application without the restricted roles is refused one, and
  then the orders come with the plain token and without personal data (`pii_refused` says why).

List methods yield pages of raw records; landing them is `ingestion.amazon.pull`'s job.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import httpx

from ichigen.ingestion.amazon.auth import LwaTokens
from ichigen.ingestion.amazon.rates import PUBLISHED_RATES, adopt_announced_rate
from ichigen.ingestion.errors import AuthenticationError, ChannelError, UnexpectedResponseError
from ichigen.ingestion.http import DEFAULT_TIMEOUT, RateLimiter, ResilientClient, RetryPolicy, Sleep
from ichigen.ingestion.paging import Page

__all__ = ["AmazonClient", "AmazonConfig", "OrdersPage", "iso_z"]

CHANNEL: Final = "amazon"
_RDT_PATH: Final = "/tokens/2021-03-01/restrictedDataToken"
_ORDERS_PATH: Final = "/orders/v0/orders"
# The personal data the identity rules use: the recipient's name, street and phone (MFN only).
_ORDERS_PII: Final = ("buyerInfo", "shippingAddress")
_RDT_MARGIN_S: Final = 60.0  # renew an RDT this long before Amazon says it expires
_MAX_RESULTS: Final = 100  # getOrders and listFinancialEvents allow at most 100 per page


def iso_z(value: datetime) -> str:
    """SP-API's date-time format: UTC with a Z, whole seconds (rounded down: never later)."""
    if value.tzinfo is None:
        raise ValueError("Amazon cursors must be timezone-aware (a naive time is ambiguous)")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AmazonConfig:
    """Where SP-API and Login with Amazon are, the app's credentials and the seller's account.

    The secrets are left out of the ``repr``, so a config in a log line or a traceback shows
    where the client points, never what unlocks it.
    """

    url: str
    lwa_url: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    marketplace_id: str
    seller_id: str


@dataclass(frozen=True)
class OrdersPage:
    orders: list[dict[str, Any]]
    last_updated_before: str | None  # the upper bound Amazon applied (its "now"), echoed
    next_token: str | None = None  # asks for the page after this one; None: the last

    @property
    def following(self) -> str | None:
        return self.next_token


class AmazonClient:
    """SP-API for one seller in one marketplace; use as a context manager or call `close`."""

    def __init__(
        self,
        config: AmazonConfig,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        rates: Mapping[str, tuple[float, int]] | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        restricted_data: bool = True,
    ) -> None:
        self._clock = clock
        self._rdt: tuple[str, float] | None = None  # (token, monotonic time to renew it)
        # None while Restricted Data Tokens are asked for and granted; otherwise why not.
        self.pii_refused: str | None = None if restricted_data else "not requested"
        self.base_url = config.url.rstrip("/")
        self.marketplace_id = config.marketplace_id
        self.seller_id = config.seller_id
        client = http or httpx.Client(timeout=DEFAULT_TIMEOUT)
        retry = retry or RetryPolicy()
        rng = rng or random.Random()
        self.limiters: dict[str, RateLimiter] = {}
        self._operations: dict[str, ResilientClient] = {}
        for operation, (rate, burst) in {**PUBLISHED_RATES, **(rates or {})}.items():
            limiter = RateLimiter(rate_per_s=rate, burst=burst, sleep=sleep, clock=clock)
            self.limiters[operation] = limiter
            self._operations[operation] = ResilientClient(
                CHANNEL,
                client,
                retry=retry,
                limiter=limiter,
                on_response=adopt_announced_rate(limiter),
                sleep=sleep,
                rng=rng,
            )
        self.tokens = LwaTokens(
            ResilientClient(
                CHANNEL,
                client,
                retry=retry,
                sleep=sleep,
                rng=rng,
                address_variable="ICHIGEN_AMAZON_LWA_URL",
            ),
            lwa_url=config.lwa_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            refresh_token=config.refresh_token,
            clock=clock,
        )
        self._client = client

    def __repr__(self) -> str:  # credentials never reach a log line
        return f"AmazonClient({self.base_url!r}, marketplace_id={self.marketplace_id!r})"

    @property
    def retries(self) -> int:
        return sum(client.retries for client in self._operations.values())

    def source(self, path: str) -> str:
        """Where records come from, for the landing metadata (no credentials)."""
        return f"{self.base_url}{path}"

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        token: Callable[[], str] | None = None,
    ) -> Any:
        client = self._operations[operation]
        url = self.source(path)
        for attempt in range(2):
            access = (token or self.tokens.token)()
            headers = {"x-amz-access-token": access, "Accept": "application/json"}
            try:
                return client.request_json(method, url, params=params, json=json, headers=headers)
            except AuthenticationError as exc:
                # A token can expire between our check and Amazon's: one fresh token, then
                # a second refusal is a real one (a missing role, a revoked authorisation).
                if exc.status != 403 or attempt:
                    raise
                self.tokens.invalidate()
                self._rdt = None
        raise AssertionError("unreachable")

    @staticmethod
    def _payload(body: Any, operation: str) -> dict[str, Any]:
        payload = body.get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, dict):
            raise UnexpectedResponseError(CHANNEL, f"{operation} answered without a payload")
        return payload

    # --- Tokens API 2021-03-01 -------------------------------------------------------------

    def _orders_token(self) -> str:
        """An RDT for getOrders with the buyers' data, or the LWA token if none is granted."""
        if self.pii_refused is not None:
            return self.tokens.token()
        now = self._clock()
        if self._rdt is None or now >= self._rdt[1]:
            resource = {"method": "GET", "path": _ORDERS_PATH, "dataElements": list(_ORDERS_PII)}
            try:
                body = self._call(
                    "createRestrictedDataToken",
                    "POST",
                    _RDT_PATH,
                    json={"restrictedResources": [resource]},
                )
            except ChannelError as exc:
                # refused (no restricted role, an unknown resource, no Tokens API at this URL):
                # go on without personal data; anything else (Amazon unreachable, throttled past
                # the retries) is an error like any other call's
                if exc.status not in (400, 401, 403, 404):
                    raise
                self.pii_refused = str(exc)
                return self.tokens.token()
            token = body.get("restrictedDataToken") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise UnexpectedResponseError(
                    CHANNEL, "createRestrictedDataToken answered without a restrictedDataToken"
                )
            expires_in = float(body.get("expiresIn") or 3600)
            self._rdt = (token, now + max(0.0, expires_in - _RDT_MARGIN_S))
        return self._rdt[0]

    # --- Orders API v0 ---------------------------------------------------------------------

    def orders(
        self,
        *,
        last_updated_after: datetime,
        last_updated_before: datetime | None = None,
        next_token: str | None = None,
    ) -> Iterator[OrdersPage]:
        """Orders changed at or after `last_updated_after` (and at or before
        `last_updated_before`, Amazon's "now" if not given), oldest change first, by page.

        `next_token`, a page's token from an earlier listing, goes on from there (the token
        alone carries the query, as Amazon documents).
        """
        params: dict[str, Any] = {
            "MarketplaceIds": self.marketplace_id,
            "LastUpdatedAfter": iso_z(last_updated_after),
            "MaxResultsPerPage": _MAX_RESULTS,
        }
        if last_updated_before is not None:
            params["LastUpdatedBefore"] = iso_z(last_updated_before)
        if next_token is not None:
            params = {"MarketplaceIds": self.marketplace_id, "NextToken": next_token}
        while True:
            body = self._call(
                "getOrders", "GET", _ORDERS_PATH, params=params, token=self._orders_token
            )
            payload = self._payload(body, "getOrders")
            orders = payload.get("Orders")
            if not isinstance(orders, list):
                raise UnexpectedResponseError(CHANNEL, "getOrders answered without Orders")
            token = payload.get("NextToken") or None
            yield OrdersPage(orders, payload.get("LastUpdatedBefore"), token)
            if not token:
                return
            # With a NextToken the token alone carries the query on, as Amazon documents.
            params = {"MarketplaceIds": self.marketplace_id, "NextToken": token}

    def order_items(self, amazon_order_id: str) -> list[dict[str, Any]]:
        """Every item of one order (Amazon pages the items of large orders too)."""
        path = f"/orders/v0/orders/{quote(amazon_order_id, safe='')}/orderItems"
        items: list[dict[str, Any]] = []
        params: dict[str, Any] | None = None
        while True:
            payload = self._payload(
                self._call("getOrderItems", "GET", path, params=params), "getOrderItems"
            )
            page = payload.get("OrderItems")
            if not isinstance(page, list):
                raise UnexpectedResponseError(CHANNEL, "getOrderItems answered without items")
            items += page
            token = payload.get("NextToken")
            if not token:
                return items
            params = {"NextToken": token}

    # --- Finances API v0 -------------------------------------------------------------------

    def refund_events(
        self,
        *,
        posted_after: datetime | None = None,
        posted_before: datetime | None = None,
        next_token: str | None = None,
    ) -> Iterator[Page]:
        """``RefundEventList`` pages posted at or after `posted_after` (and before
        `posted_before`, Amazon's "now" if not given).

        Without `posted_after` Amazon answers its default window: the last 180 days, the most
        one query may span (a longer window answers nothing). `next_token`, a page's
        `following` from an earlier listing, goes on from there.
        """
        params: dict[str, Any] = {"MaxResultsPerPage": _MAX_RESULTS}
        if posted_after is not None:
            params["PostedAfter"] = iso_z(posted_after)
        if posted_before is not None:
            params["PostedBefore"] = iso_z(posted_before)
        if next_token is not None:
            params = {"NextToken": next_token}
        path = "/finances/v0/financialEvents"
        while True:
            payload = self._payload(
                self._call("listFinancialEvents", "GET", path, params=params),
                "listFinancialEvents",
            )
            events = payload.get("FinancialEvents")
            refunds = events.get("RefundEventList") if isinstance(events, dict) else None
            if not isinstance(refunds, list):
                raise UnexpectedResponseError(
                    CHANNEL, "listFinancialEvents answered without a RefundEventList"
                )
            token = payload.get("NextToken") or None
            yield Page(refunds, following=token)
            if not token:
                return
            params = {"NextToken": token}

    # --- FBA Inventory API v1 --------------------------------------------------------------

    def inventory_summaries(self, *, start: datetime | None = None) -> Iterator[list[Any]]:
        """FBA inventory summaries with details; all SKUs, or those changed since `start`."""
        params: dict[str, Any] = {
            "details": "true",
            "granularityType": "Marketplace",
            "granularityId": self.marketplace_id,
            "marketplaceIds": self.marketplace_id,
        }
        if start is not None:
            params["startDateTime"] = iso_z(start)
        path = "/fba/inventory/v1/summaries"
        while True:
            body = self._call("getInventorySummaries", "GET", path, params=params)
            summaries = self._payload(body, "getInventorySummaries").get("inventorySummaries")
            if not isinstance(summaries, list):
                raise UnexpectedResponseError(
                    CHANNEL, "getInventorySummaries answered without inventorySummaries"
                )
            yield summaries
            pagination = body.get("pagination") if isinstance(body, dict) else None
            token = pagination.get("nextToken") if isinstance(pagination, dict) else None
            if not token:
                return
            params = {**params, "nextToken": token}

    # --- Listings Items API 2021-08-01 -----------------------------------------------------

    def set_quantity(
        self, sku: str, quantity: int, *, product_type: str = "PRODUCT"
    ) -> dict[str, Any]:
        """Set the quantity the seller ships itself (MFN) for `sku`; repeating it changes nothing.

        Amazon answers a patch it cannot apply with 200 and ``status: INVALID``: that is raised
        as a `ChannelError` naming the issues, so a failed push is never taken for a done one.
        """
        body = self._call(
            "patchListingsItem",
            "PATCH",
            f"/listings/2021-08-01/items/{quote(self.seller_id, safe='')}/{quote(sku, safe='')}",
            params={"marketplaceIds": self.marketplace_id},
            json={
                "productType": product_type,
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
                    }
                ],
            },
        )
        if not isinstance(body, dict) or body.get("status") not in ("ACCEPTED", "VALID"):
            issues = body.get("issues") if isinstance(body, dict) else body
            messages = [i.get("message") for i in issues or [] if isinstance(i, dict)]
            raise ChannelError(
                CHANNEL, f"setting the quantity of {sku!r} was not accepted: {messages or body}"
            )
        return body

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> AmazonClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

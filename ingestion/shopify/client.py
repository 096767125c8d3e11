"""A client for the Shopify Admin REST API: orders, customers, locations, stock.

The client speaks Shopify's public API exactly (the sandbox simulator serves the same shapes),
so pointing it at a real shop is a matter of the URL, access token and API version it is
given (the caller reads them from `ICHIGEN_SHOPIFY_URL`, `..._ACCESS_TOKEN` and
`..._API_VERSION`; the client never reads the environment itself):

- list endpoints page by cursor: the first request carries the filters and `limit=250`, every
  later one is the ``rel="next"`` URL of the ``Link`` header, followed as given (Shopify refuses
  filters next to `page_info`);
- the shop's leaky bucket (40 calls, leaking 2 per second on standard plans) is reported in
  ``X-Shopify-Shop-Api-Call-Limit: used/capacity``; when it is nearly full the client drops to
  the leak rate, so a long pull meets few 429s, and a 429's ``Retry-After`` is honoured by
  `ResilientClient`, which also retries 5xx, resets and truncated bodies. Every plan's bucket
  drains in 20 seconds (40 at 2/s, Plus's 400 at 20/s), so a larger capacity in the header
  raises the pace to capacity / 20;
- stock is pushed with ``POST inventory_levels/set.json``: an absolute quantity, safe to repeat.

Each list method yields pages (lists of raw records) so callers can stream them to disk; each
page carries the next URL (`Page.following`), and `after` starts a listing at such a URL, so a
pull that failed goes on where it stopped. Landing them is `ingestion.shopify.pull`'s job.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Final

import httpx
import orjson

from ichigen.ingestion.errors import ConfigurationError, UnexpectedResponseError
from ichigen.ingestion.http import DEFAULT_TIMEOUT, RateLimiter, ResilientClient, RetryPolicy, Sleep
from ichigen.ingestion.paging import Page

__all__ = ["CALL_LIMIT_HEADER", "DRAIN_S", "PAGE_LIMIT", "CallLimitPacer", "ShopifyClient"]

CHANNEL: Final = "shopify"
PAGE_LIMIT: Final = 250  # Shopify's maximum page size
CALL_LIMIT_HEADER: Final = "X-Shopify-Shop-Api-Call-Limit"
DRAIN_S: Final = 20.0  # a full bucket leaks empty in this long, whatever the plan
# Shopify refuses more than 50 ids in one location_ids filter.
_MAX_IDS_PER_REQUEST: Final = 50


class CallLimitPacer:
    """Reads Shopify's call-limit header and slows the client down when the bucket fills.

    Below `threshold` (a share of the bucket) requests go out as fast as the limiter's burst
    allows; at or above it the limiter is drained, so the next request waits one leak interval
    and the bucket stops growing. Other processes of ours (parallel assets) share the shop's
    bucket, which is why the header, not our own count, decides. The capacity tells the plan:
    its leak rate is capacity / `DRAIN_S`, which the limiter adopts when it is faster than the
    rate it was given (never slower: a caller may know better).
    """

    def __init__(self, limiter: RateLimiter, *, threshold: float = 0.8) -> None:
        self.limiter = limiter
        self.threshold = threshold
        self.used: int | None = None
        self.capacity: int | None = None
        self.slowdowns = 0

    def observe(self, response: httpx.Response) -> None:
        raw = response.headers.get(CALL_LIMIT_HEADER)
        if raw is None:
            return
        used, _, capacity = raw.partition("/")
        try:
            self.used, self.capacity = int(used), int(capacity)
        except ValueError:
            return  # a malformed header only costs us the pacing hint
        if self.capacity / DRAIN_S > self.limiter.rate_per_s:
            self.limiter.set_rate(self.capacity / DRAIN_S)
        if self.capacity > 0 and self.used >= self.threshold * self.capacity:
            self.slowdowns += 1
            self.limiter.drain()


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("Shopify cursors must be timezone-aware (a naive time is ambiguous)")
    return value.isoformat()


class ShopifyClient:
    """The Admin REST API of one shop; use as a context manager or call `close`."""

    def __init__(
        self,
        *,
        url: str,
        access_token: str,
        api_version: str,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        leak_per_s: float = 2.0,
        burst: int = 20,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if not url or not access_token or not api_version:
            raise ConfigurationError(
                "shopify: the shop URL, access token and API version are all needed; set "
                "ICHIGEN_SHOPIFY_URL, ICHIGEN_SHOPIFY_ACCESS_TOKEN and ICHIGEN_SHOPIFY_API_VERSION"
            )
        self._token = access_token
        self.base_url = f"{url.rstrip('/')}/admin/api/{api_version}"
        self.limiter = RateLimiter(rate_per_s=leak_per_s, burst=burst, sleep=sleep, clock=clock)
        self.pacer = CallLimitPacer(self.limiter)
        self.http = ResilientClient(
            CHANNEL,
            http or httpx.Client(timeout=DEFAULT_TIMEOUT),
            retry=retry,
            limiter=self.limiter,
            on_response=self.pacer.observe,
            sleep=sleep,
            rng=rng,
        )

    def __repr__(self) -> str:  # the token never reaches a log line
        return f"ShopifyClient({self.base_url!r})"

    # --- plumbing --------------------------------------------------------------------------

    def source(self, resource: str) -> str:
        """Where records of `resource` come from, for the landing metadata (no credentials)."""
        return f"{self.base_url}/{resource}.json"

    def _headers(self) -> dict[str, str]:
        return {"X-Shopify-Access-Token": self._token, "Accept": "application/json"}

    def _json(
        self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> tuple[Any, httpx.Response]:
        """Send and decode; a body that is not JSON is fetched again, like a broken one."""
        for _ in range(self.http.retry.max_attempts):
            response = self.http.request(
                method, url, params=params, json=json, headers=self._headers()
            )
            try:
                return orjson.loads(response.content), response
            except orjson.JSONDecodeError:
                self.http.retries += 1
        raise UnexpectedResponseError(CHANNEL, f"{method} {url} never returned valid JSON")

    def _pages(
        self, resource: str, key: str, params: Mapping[str, Any], *, after: str | None = None
    ) -> Iterator[Page]:
        """Yield each page of a list endpoint, following the Link header's next URL.

        `after`, a next URL an earlier listing gave, starts there instead of at the first page.
        """
        url: str | None = after or self.source(resource)
        query: Mapping[str, Any] | None = None if after else params
        while url is not None:
            body, response = self._json("GET", url, params=query)
            records = body.get(key) if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise UnexpectedResponseError(CHANNEL, f"GET {url} answered without a {key!r} list")
            # The next URL already carries page_info and limit; Shopify refuses anything more.
            url = response.links.get("next", {}).get("url")
            query = None
            yield Page(records, following=url)

    # --- reads -----------------------------------------------------------------------------

    def orders(
        self, *, updated_at_min: datetime | None = None, after: str | None = None
    ) -> Iterator[Page]:
        """Orders of any status changed at or after `updated_at_min`, oldest change first.

        Ascending `updated_at` makes an order that changes while we page move ahead of us,
        so it is read again rather than skipped. `after`: a page's `following` from an
        earlier listing with the same filters, to go on from there.
        """
        params: dict[str, Any] = {"status": "any", "limit": PAGE_LIMIT, "order": "updated_at asc"}
        if updated_at_min is not None:
            params["updated_at_min"] = _iso(updated_at_min)
        return self._pages("orders", "orders", params, after=after)

    def customers(
        self, *, updated_at_min: datetime | None = None, after: str | None = None
    ) -> Iterator[Page]:
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if updated_at_min is not None:
            params["updated_at_min"] = _iso(updated_at_min)
        return self._pages("customers", "customers", params, after=after)

    def products(
        self, *, updated_at_min: datetime | None = None, after: str | None = None
    ) -> Iterator[Page]:
        """Products with their variants: SKU, barcode (JAN), price and inventory item."""
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if updated_at_min is not None:
            params["updated_at_min"] = _iso(updated_at_min)
        return self._pages("products", "products", params, after=after)

    def locations(self) -> Iterator[Page]:
        return self._pages("locations", "locations", {})

    def inventory_levels(
        self, location_ids: Iterable[int], *, updated_at_min: datetime | None = None
    ) -> Iterator[Page]:
        """Inventory levels at the given locations (asked for 50 locations at a time)."""
        ids = [str(i) for i in location_ids]
        for start in range(0, len(ids), _MAX_IDS_PER_REQUEST):
            params: dict[str, Any] = {
                "location_ids": ",".join(ids[start : start + _MAX_IDS_PER_REQUEST]),
                "limit": PAGE_LIMIT,
            }
            if updated_at_min is not None:
                params["updated_at_min"] = _iso(updated_at_min)
            yield from self._pages("inventory_levels", "inventory_levels", params)

    # --- writes ----------------------------------------------------------------------------

    def set_inventory_level(
        self, *, location_id: int, inventory_item_id: int, available: int
    ) -> dict[str, Any]:
        """Set the absolute quantity available at a location; repeating it changes nothing."""
        body, _ = self._json(
            "POST",
            self.source("inventory_levels/set"),
            json={
                "location_id": location_id,
                "inventory_item_id": inventory_item_id,
                "available": available,
            },
        )
        level = body.get("inventory_level") if isinstance(body, dict) else None
        if not isinstance(level, dict):
            raise UnexpectedResponseError(
                CHANNEL, "inventory_levels/set.json answered without an inventory_level"
            )
        return level

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

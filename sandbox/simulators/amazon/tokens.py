"""The Tokens API (2021-03-01): Restricted Data Tokens for the Orders API's personal data.

``POST /tokens/2021-03-01/restrictedDataToken`` takes the restricted resources an application
wants (HTTP method, path and the ``dataElements`` of personal data) and answers a short-lived
RDT (``{"restrictedDataToken": "Atz.sprdt|...", "expiresIn": 3600}``). A call that carries the
RDT in ``x-amz-access-token`` instead of the LWA token gets those data elements; the RDT opens
nothing but the resources it was issued for. A path may name one order
(``/orders/v0/orders/503-...``) or any (``/orders/v0/orders/{orderId}``).

Amazon issues RDTs only to applications approved for the restricted roles (Direct-to-Consumer
Delivery for ``shippingAddress``, Tax Invoicing or Remittance for ``buyerInfo``); an app without
them is refused with 403. `RestrictedTokens(pii_role=False)` plays such an app's seller.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from ichigen.sandbox.simulators.amazon.common import amazon_error, invalid_input
from ichigen.sandbox.simulators.http import HttpError, Request

__all__ = ["DATA_ELEMENTS", "RDT_PATH", "RestrictedTokens"]

RDT_PATH: Final = "/tokens/2021-03-01/restrictedDataToken"
RDT_PREFIX: Final = "Atz.sprdt|"
DATA_ELEMENTS: Final = frozenset({"buyerInfo", "shippingAddress", "buyerTaxInformation"})
_ORDER_ID: Final = r"(?:\{orderId\}|[0-9]{3}-[0-9]{7}-[0-9]{7})"
# The Orders API's restricted operations: getOrders, getOrder, getOrderItems.
_RESTRICTED: Final = (
    re.compile(r"^/orders/v0/orders$"),
    re.compile(rf"^/orders/v0/orders/{_ORDER_ID}$"),
    re.compile(rf"^/orders/v0/orders/{_ORDER_ID}/orderItems$"),
)


@dataclass(frozen=True)
class _Grant:
    method: str
    path: re.Pattern[str]
    elements: frozenset[str]


class RestrictedTokens:
    """Issues RDTs and tells which data elements a call's token opens."""

    def __init__(self, *, pii_role: bool = True, ttl_s: float = 3600.0) -> None:
        self.pii_role = pii_role  # False: the application lacks the restricted roles
        self.ttl_s = ttl_s
        self.issued = 0
        self._grants: dict[str, tuple[float, tuple[_Grant, ...]]] = {}
        self._lock = threading.Lock()

    def create(self, request: Request) -> dict[str, Any]:
        """``createRestrictedDataToken``: the body Amazon answers, or an HttpError."""
        body = request.json()
        resources = body.get("restrictedResources") if isinstance(body, dict) else None
        if not isinstance(resources, list) or not resources:
            raise invalid_input("restrictedResources is required and must not be empty.")
        grants = tuple(_grant(resource) for resource in resources)
        if not self.pii_role:
            raise amazon_error(
                403,
                "Unauthorized",
                "Application does not have access to one or more requested data elements",
            )
        token = RDT_PREFIX + secrets.token_urlsafe(48)
        now = time.monotonic()
        with self._lock:
            self._grants = {t: g for t, g in self._grants.items() if g[0] > now - 3600}
            self._grants[token] = (now + self.ttl_s, grants)
            self.issued += 1
        return {"restrictedDataToken": token, "expiresIn": max(1, round(self.ttl_s))}

    @staticmethod
    def is_restricted_token(token: str | None) -> bool:
        return bool(token) and str(token).startswith(RDT_PREFIX)

    def check(self, token: str, method: str, path: str) -> HttpError | None:
        """None when the RDT is live and was issued for this call."""
        with self._lock:
            entry = self._grants.get(token)
        if entry is None:
            return amazon_error(
                403,
                "Unauthorized",
                "The access token you provided is revoked, malformed or invalid.",
            )
        expiry, grants = entry
        if time.monotonic() >= expiry:
            return amazon_error(403, "Unauthorized", "The access token you provided has expired.")
        if not any(g.method == method and g.path.match(path) for g in grants):
            return amazon_error(403, "Unauthorized", "Access to requested resource is denied.")
        return None

    def elements(self, request: Request) -> frozenset[str]:
        """The personal data the call's token opens (none for a plain LWA token)."""
        token = request.headers.get("x-amz-access-token")
        if not token or not self.is_restricted_token(token):
            return frozenset()
        with self._lock:
            entry = self._grants.get(token)
        if entry is None:
            return frozenset()
        opened: set[str] = set()
        for grant in entry[1]:
            if grant.method == request.method and grant.path.match(request.path):
                opened |= grant.elements
        return frozenset(opened)


def _grant(resource: Any) -> _Grant:
    if not isinstance(resource, dict):
        raise invalid_input("Each restricted resource must be an object.")
    method, path = resource.get("method"), resource.get("path")
    if method != "GET" or not isinstance(path, str):
        raise invalid_input(f"Unsupported restricted resource: {method} {path}")
    if not any(pattern.match(path) for pattern in _RESTRICTED):
        raise invalid_input(f"{path} is not a restricted resource.")
    elements = resource.get("dataElements") or []
    if not isinstance(elements, list) or not set(elements) <= DATA_ELEMENTS:
        raise invalid_input(f"Invalid dataElements: {elements}")
    pattern = re.compile("^" + re.escape(path).replace(r"\{orderId\}", "[^/]+") + "$")
    return _Grant(method=method, path=pattern, elements=frozenset(elements))

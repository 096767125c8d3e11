"""SP-API usage plans: one token bucket per operation, paced at the rate Amazon announces.

Each operation starts at Amazon's published default (requests per second, burst) and adopts
the rate the API reports in ``x-amzn-RateLimit-Limit`` on every answer: a seller's plan can
differ from the default, and a sandbox allows far more. The burst stays the published one;
Amazon does not announce it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import httpx

from ichigen.ingestion.http import RateLimiter

__all__ = ["PUBLISHED_RATES", "RATE_LIMIT_HEADER", "adopt_announced_rate"]

RATE_LIMIT_HEADER: Final = "x-amzn-RateLimit-Limit"
# Amazon's default usage plans, (requests per second, burst), from the SP-API references.
PUBLISHED_RATES: Final[Mapping[str, tuple[float, int]]] = {
    "createRestrictedDataToken": (1.0, 10),
    "getOrders": (0.0167, 20),
    "getOrderItems": (0.5, 30),
    "listFinancialEvents": (0.5, 30),
    "getInventorySummaries": (2.0, 2),
    "patchListingsItem": (5.0, 10),
}


def adopt_announced_rate(limiter: RateLimiter) -> Callable[[httpx.Response], None]:
    """A response hook that sets `limiter` to the rate an answer announces."""

    def observe(response: httpx.Response) -> None:
        raw = response.headers.get(RATE_LIMIT_HEADER)
        if raw is None:
            return
        try:
            limiter.set_rate(float(raw))
        except ValueError:
            return  # a malformed header only costs us the pacing hint

    return observe

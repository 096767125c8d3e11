"""Rate limiters as the channels apply them, so that connectors meet real throttling.

Shopify uses a leaky bucket per shop (REST: 40 requests, leaking 2 per second); Amazon SP-API
uses a token bucket per operation (a burst, restored at a steady rate). Both are thread-safe.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

__all__ = ["BucketState", "LeakyBucket", "TokenBucket"]


@dataclass(frozen=True)
class BucketState:
    allowed: bool
    used: int  # how full the bucket is after this request (Shopify's call-limit numerator)
    capacity: int
    retry_after_s: float  # how long until one more request would be allowed


class LeakyBucket:
    """Each request adds one drop; drops leak at `leak_per_s`; a full bucket answers 429."""

    def __init__(self, *, capacity: int = 40, leak_per_s: float = 2.0) -> None:
        if capacity < 1 or leak_per_s <= 0:
            raise ValueError("a leaky bucket needs capacity >= 1 and a positive leak rate")
        self.capacity = capacity
        self.leak_per_s = leak_per_s
        self._level = 0.0
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def hit(self) -> BucketState:
        with self._lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._at) * self.leak_per_s)
            self._at = now
            if self._level + 1 > self.capacity:
                wait = (self._level + 1 - self.capacity) / self.leak_per_s
                return BucketState(False, self.capacity, self.capacity, wait)
            self._level += 1
            return BucketState(True, max(1, round(self._level)), self.capacity, 0.0)


class TokenBucket:
    """`burst` tokens, refilled at `rate_per_s`; a request takes one or is refused."""

    def __init__(self, *, rate_per_s: float, burst: int) -> None:
        if burst < 1 or rate_per_s <= 0:
            raise ValueError("a token bucket needs burst >= 1 and a positive rate")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._tokens = float(burst)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def hit(self) -> BucketState:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate_per_s)
            self._at = now
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate_per_s
                return BucketState(False, self.burst, self.burst, wait)
            self._tokens -= 1
            return BucketState(True, self.burst - int(self._tokens), self.burst, 0.0)

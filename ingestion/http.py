"""The HTTP layer every channel connector shares: timeouts, retries, backoff and pacing.

`ResilientClient` wraps an injected `httpx.Client` (so tests can hand it an
`httpx.MockTransport`) and retries what is worth retrying (429, 5xx, timeouts, resets,
truncated or unreadable bodies) with exponential backoff and full jitter, honouring
Retry-After when the channel sends it. A client-side `RateLimiter` keeps requests under the
channel's published rate, so retries are the exception rather than the pacing mechanism.

Every request that reaches a channel is safe to repeat by design (reads, absolute stock
levels, purchase orders with an idempotency key), which is what makes retrying POSTs sound.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from ichigen.ingestion.errors import (
    AuthenticationError,
    ChannelError,
    RetriesExhaustedError,
    UnexpectedResponseError,
)

__all__ = ["DEFAULT_TIMEOUT", "RateLimiter", "ResilientClient", "RetryPolicy"]

# Connect quickly or fail; allow a slow page to arrive (large order pages take a while).
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay_s: float = 0.25
    max_delay_s: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)] (attempt counts from 0)."""
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


class RateLimiter:
    """A client-side token bucket; `acquire` waits until a request may go out."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int = 1,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a rate limiter needs a positive rate and burst >= 1")
        self._rate = rate_per_s
        self._burst = burst
        self._tokens = float(burst)
        self._sleep = sleep
        self._clock = clock
        self._at = clock()
        self._lock = threading.Lock()

    @property
    def rate_per_s(self) -> float:
        return self._rate

    def set_rate(self, rate_per_s: float) -> None:
        """Adopt the rate the channel announces (e.g. Amazon's x-amzn-RateLimit-Limit)."""
        if rate_per_s > 0:
            with self._lock:
                self._rate = rate_per_s

    def drain(self) -> None:
        """The channel says we are at its limit: start again from an empty bucket."""
        with self._lock:
            self._tokens = 0.0
            self._at = self._clock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self._rate
            self._sleep(wait)


ResponseHook = Callable[[httpx.Response], None]


class ResilientClient:
    """Sends requests for one channel with retries, backoff and pacing."""

    def __init__(
        self,
        channel: str,
        client: httpx.Client,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        on_response: ResponseHook | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.channel = channel
        self.client = client
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self._on_response = on_response
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.retries = 0  # how many requests were repeated: a run's health, not an error
        self._count_lock = threading.Lock()  # requests may be sent from several threads

    def close(self) -> None:
        self.client.close()

    def _count_retry(self) -> None:
        with self._count_lock:
            self.retries += 1

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request until it succeeds; 4xx other than 429 fail at once with the reason."""
        problem = "no attempt made"
        for attempt in range(self.retry.max_attempts):
            if attempt:
                self._count_retry()
            if self.limiter is not None:
                self.limiter.acquire()
            try:
                response = self.client.request(
                    method, url, params=params, json=json, data=data, headers=headers
                )
                response.read()  # a truncated body raises here, inside the retry loop
            except httpx.TransportError as exc:  # timeouts, resets, truncated bodies
                problem = f"{type(exc).__name__}: {exc}"
                self._sleep(self.retry.backoff(attempt, self._rng))
                continue
            if self._on_response is not None:
                self._on_response(response)
            status = response.status_code
            if status == 429:
                problem = "429 Too Many Requests"
                if self.limiter is not None:
                    self.limiter.drain()
                self._sleep(self._retry_after(response) or self.retry.backoff(attempt, self._rng))
                continue
            if status >= 500:
                problem = f"{status} {response.reason_phrase}"
                self._sleep(self.retry.backoff(attempt, self._rng))
                continue
            if status in (401, 403):
                raise AuthenticationError(
                    self.channel,
                    f"{method} {url} was refused ({status}): {_snippet(response)}; check the "
                    f"ICHIGEN_{self.channel.upper()}_... credentials",
                    status=status,
                )
            if status >= 400:
                raise ChannelError(
                    self.channel,
                    f"{method} {url} failed ({status}): {_snippet(response)}",
                    status=status,
                )
            return response
        raise RetriesExhaustedError(
            self.channel,
            f"{method} {url} failed {self.retry.max_attempts} times; last: {problem}",
        )

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """`request`, then decode JSON; an unreadable body is retried like a broken one."""
        for _ in range(self.retry.max_attempts):
            response = self.request(method, url, **kwargs)
            if response.status_code == 204 or not response.content:
                return None
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                self._count_retry()
                continue
        raise UnexpectedResponseError(self.channel, f"{method} {url} never returned valid JSON")

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return None  # an HTTP date: rare from APIs; fall back to our own backoff


def _snippet(response: httpx.Response, limit: int = 300) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")

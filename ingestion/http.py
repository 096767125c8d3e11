"""The HTTP layer every channel connector shares: timeouts, retries, backoff and pacing.

`ResilientClient` wraps an injected `httpx.Client` (so tests can hand it an
`httpx.MockTransport`) and retries what is worth retrying (429, 5xx, timeouts, resets,
truncated or unreadable bodies) with tenacity: a 429 waits as long as its Retry-After says
(seconds or an HTTP date), anything else backs off exponentially with full jitter; 429s
have an allowance of their own beside the failed tries (`RetryPolicy`). 401/403
and other 4xx fail at once, and so does a URL that cannot be sent to (no http(s) scheme) or
an address that refuses the connection (nothing listens there: the channel is down or the
URL is wrong): no number of tries mends a wrong token, a mistyped URL or a stopped service,
and each try would only bury the cause under the next (a refused connection costs
milliseconds; eight tries with their backoff cost half a minute, and Dagster's retries of
each asset minutes more). A refusal reads as one line naming the channel, the cause and the
variables to set (`ingestion.errors.CREDENTIALS`, the URL's variable). A client-side
`RateLimiter` keeps requests under the channel's published rate, so retries are the exception
rather than the pacing mechanism.

Every request that reaches a channel is safe to repeat by design (reads, absolute stock
levels, purchase orders with an idempotency key), which is what makes retrying POSTs sound.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
import tenacity

from ichigen.ingestion.errors import (
    CREDENTIALS,
    AuthenticationError,
    ChannelError,
    ChannelUnreachableError,
    ConfigurationError,
    Credentials,
    RetriesExhaustedError,
    UnexpectedResponseError,
    url_variable,
)

__all__ = ["DEFAULT_TIMEOUT", "RateLimiter", "ResilientClient", "RetryPolicy", "retry_after"]

# Connect quickly or fail; allow a slow page to arrive (large order pages take a while).
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often a request is tried, and how long it waits between tries.

    A request gives up after `max_attempts` tries that failed (5xx, timeouts, resets,
    truncated bodies), or after `max_throttled` 429s, whichever comes first. A 429 has its own,
    larger allowance: it is a channel that is up and asks us to wait, not one that is failing,
    and when the quota is shared (other apps of the seller, other requests of ours) 429s come
    in runs that one request can meet several times over. Counted with the failures, a few
    such runs made a getOrderItems call give up after eight tries under `--faults all`, and
    with it a pull of ten thousand orders, three times over (benchmarks/faults.py).
    """

    max_attempts: int = 8
    base_delay_s: float = 0.25
    max_delay_s: float = 30.0
    max_throttled: int = 20

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)] (attempt counts from 0)."""
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks us to wait: a number of seconds or an HTTP date.

    None when there is no header or it cannot be read (the caller then backs off itself);
    a date in the past means no wait.
    """
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may parse naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _RetryableError(Exception):
    """An attempt that is worth repeating: what went wrong, whether the channel throttled us
    (a 429), and how long it asked us to wait (its Retry-After), if it said."""

    def __init__(
        self, problem: str, *, throttled: bool = False, wait_s: float | None = None
    ) -> None:
        super().__init__(problem)
        self.throttled = throttled
        self.wait_s = wait_s


class _StopWhenSpent(tenacity.stop.stop_base):
    """tenacity's stop for one request: `RetryPolicy.max_attempts` failed tries, or
    `RetryPolicy.max_throttled` 429s, whichever comes first (tenacity calls it once per try
    that is to be repeated)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._failed = 0
        self._throttled = 0

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _RetryableError) and failure.throttled:
            self._throttled += 1
        else:
            self._failed += 1
        return (
            self._failed >= self._policy.max_attempts
            or self._throttled >= self._policy.max_throttled
        )


class _RetryAfterOrBackoff(tenacity.wait.wait_base):
    """tenacity's wait: the channel's Retry-After when it gave one, else `RetryPolicy.backoff`.

    Not tenacity's `wait_random_exponential`: the jitter draws from the client's own `rng`,
    which tests seed (or pin to the ceiling) to see the backoff's growth exactly.
    """

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _RetryableError) and failure.wait_s:
            return failure.wait_s
        return self._policy.backoff(retry_state.attempt_number - 1, self._rng)


class RateLimiter:
    """A client-side token bucket; `acquire` waits until a request may go out.

    Hand-written on purpose: the channels tell us their rate as we go (Amazon's
    ``x-amzn-RateLimit-Limit`` per operation, Shopify's bucket capacity per plan) and a 429
    means the shared bucket is empty now, so the rate must change and the bucket drain while
    requests are in flight. The rate-limiting libraries fix their rates when built and keep
    their own clocks; here `set_rate` and `drain` do that in a few lines, and the injected
    clock and sleep let tests measure pacing without waiting for it.
    """

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
        credentials: Credentials | None = None,
        address_variable: str | None = None,
    ) -> None:
        self.channel = channel
        self.client = client
        # what a 401/403 refused, and which variables to set: the channel's, unless told
        self.credentials = credentials or CREDENTIALS.get(channel)
        # the variable holding the address this client sends to (ICHIGEN_AMAZON_LWA_URL for
        # Amazon's token exchange): the channel's URL, unless told
        self.address_variable = address_variable or url_variable(channel)
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
        retrying = tenacity.Retrying(
            stop=_StopWhenSpent(self.retry),
            wait=_RetryAfterOrBackoff(self.retry, self._rng),
            retry=tenacity.retry_if_exception_type(_RetryableError),
            before=self._before_attempt,
            sleep=self._sleep,
        )
        try:
            return retrying(
                self._attempt, method, url, params=params, json=json, data=data, headers=headers
            )
        except tenacity.RetryError as exhausted:
            raise RetriesExhaustedError(
                self.channel,
                f"{method} {url} failed {exhausted.last_attempt.attempt_number} times; "
                f"last: {exhausted.last_attempt.exception()}",
                endpoint=f"{method} {url}",
            ) from None

    def _before_attempt(self, retry_state: tenacity.RetryCallState) -> None:
        if retry_state.attempt_number > 1:
            self._count_retry()

    def _attempt(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """One try: the answer, or `_RetryableError` when another try may do better."""
        if self.limiter is not None:
            self.limiter.acquire()
        try:
            response = self.client.request(
                method, url, params=params, json=json, data=data, headers=headers
            )
            response.read()  # a truncated body raises here, inside the retry loop
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise ConfigurationError(
                f"{self.channel}: {url} is not a URL we can send to ({exc})",
                fix=f"set {self.address_variable} to the channel's https:// address",
            ) from None
        except httpx.ConnectError as exc:
            if not _refused(exc):  # a reset or a TLS handshake cut: another try may do better
                raise _RetryableError(f"{type(exc).__name__}: {exc}") from exc
            raise ChannelUnreachableError(
                self.channel,
                f"{_origin(exc, url)} refused the connection (nothing is listening there)",
                endpoint=f"{method} {url}",
                detail=str(exc),
                fix=f"check that the channel is up and that {self.address_variable} is its address",
            ) from None
        # timeouts, resets, a body cut short (RemoteProtocolError), or a compressed body
        # mangled on the way (DecodingError)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise _RetryableError(f"{type(exc).__name__}: {exc}") from exc
        if self._on_response is not None:
            self._on_response(response)
        status = response.status_code
        if status == 429:
            if self.limiter is not None:
                self.limiter.drain()
            wait_s = retry_after(response.headers.get("Retry-After"))
            raise _RetryableError("429 Too Many Requests", throttled=True, wait_s=wait_s)
        if status >= 500:
            raise _RetryableError(f"{status} {response.reason_phrase}")
        if status in (401, 403):
            refused = self.credentials
            raise AuthenticationError(
                self.channel,
                f"{refused.refused if refused else 'the credentials were refused'} ({status})",
                status=status,
                endpoint=f"{method} {url}",
                detail=_snippet(response),
                fix=refused.fix if refused else f"check the ICHIGEN_{self.channel.upper()}_...",
            )
        if status >= 400:
            raise ChannelError(
                self.channel,
                f"{method} {url} failed ({status}): {_snippet(response)}",
                status=status,
                endpoint=f"{method} {url}",
                detail=_snippet(response),
            )
        return response

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


def _refused(exc: httpx.ConnectError) -> bool:
    """Whether the connection was refused (ECONNREFUSED), which httpx reports as the cause
    of its ConnectError, beside resets and handshakes cut short."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _origin(exc: httpx.RequestError, url: str) -> str:
    """``http://127.0.0.1:8701``: where the failed request went, without path or query."""
    try:
        sent = exc.request.url  # the URL as sent: a client's base_url joined to `url`
    except RuntimeError:  # raised without its request (a test's transport)
        sent = httpx.URL(url)
    port = f":{sent.port}" if sent.port is not None else ""
    return f"{sent.scheme}://{sent.host}{port}"


def _snippet(response: httpx.Response, limit: int = 300) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")

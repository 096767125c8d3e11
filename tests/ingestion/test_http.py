"""The shared HTTP layer: what is retried, what fails at once, and how it paces requests."""

from __future__ import annotations

import gzip
import random
import socket
import threading
from datetime import UTC, datetime

import httpx
import pytest

from ichigen.ingestion.errors import (
    AuthenticationError,
    ChannelError,
    ChannelUnreachableError,
    ConfigurationError,
    RetriesExhaustedError,
)
from ichigen.ingestion.http import RateLimiter, ResilientClient, RetryPolicy, retry_after


def _client(
    handler: httpx.MockTransport, sleeps: list[float], **options: object
) -> ResilientClient:
    return ResilientClient(
        "shopify",
        httpx.Client(transport=handler, base_url="http://channel.test"),
        retry=RetryPolicy(max_attempts=5, base_delay_s=0.1),
        sleep=sleeps.append,
        rng=random.Random(1),
        **options,  # type: ignore[arg-type]
    )


def _scripted(
    *answers: httpx.Response | Exception,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handle), seen


def test_5xx_timeouts_and_resets_are_retried_until_an_answer_comes() -> None:
    transport, seen = _scripted(
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ConnectError("reset"),
        httpx.Response(200, json={"ok": True}),
    )
    sleeps: list[float] = []
    client = _client(transport, sleeps)
    assert client.request_json("GET", "/orders.json") == {"ok": True}
    assert len(seen) == 5 and client.retries == 4
    assert len(sleeps) == 4 and all(s >= 0 for s in sleeps)


def test_a_429_waits_as_long_as_retry_after_says() -> None:
    transport, _ = _scripted(
        httpx.Response(429, headers={"Retry-After": "2.0"}), httpx.Response(200, json={})
    )
    sleeps: list[float] = []
    _client(transport, sleeps).request("GET", "/orders.json")
    assert sleeps == [2.0]


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after("2.5", now=now) == 2.5
    assert retry_after("Sun, 01 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after("Sun, 01 Nov 2026 11:59:00 GMT", now=now) == 0.0  # past: go now
    assert retry_after("soon", now=now) is None and retry_after(None) is None


def test_a_429_without_retry_after_backs_off_exponentially_with_jitter() -> None:
    transport, _ = _scripted(*[httpx.Response(429)] * 4, httpx.Response(200, json={}))
    sleeps: list[float] = []
    _client(transport, sleeps).request("GET", "/orders")
    assert len(sleeps) == 4
    assert all(0 <= s <= 0.1 * 2**i for i, s in enumerate(sleeps))


def test_giving_up_says_how_often_and_what_went_wrong_last() -> None:
    transport, _ = _scripted(*[httpx.Response(502)] * 5)
    with pytest.raises(RetriesExhaustedError, match="failed 5 times; last: 502"):
        _client(transport, []).request("GET", "/orders.json")


def test_429s_have_an_allowance_of_their_own_beside_the_failed_tries() -> None:
    # runs of 429s from a shared quota: more of them than failed tries are allowed
    transport, seen = _scripted(
        httpx.Response(502), *[httpx.Response(429)] * 6, httpx.Response(200, json={})
    )
    policy = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_throttled=7)
    client = ResilientClient(
        "amazon", httpx.Client(transport=transport), retry=policy, sleep=[].append
    )
    assert client.request_json("GET", "http://channel.test/orders") == {}
    assert len(seen) == 8 and client.retries == 7


@pytest.mark.parametrize(
    ("answers", "gives_up"),
    [
        ((502, 429, 503, 429), "failed 3 times; last: 503"),  # the failed tries: 2
        ((429, 502, 429, 429), "failed 4 times; last: 429"),  # the 429s: 3
    ],
)
def test_a_request_gives_up_when_either_allowance_is_spent(
    answers: tuple[int, ...], gives_up: str
) -> None:
    transport, _ = _scripted(*[httpx.Response(status) for status in answers])
    policy = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_throttled=3)
    client = ResilientClient(
        "amazon", httpx.Client(transport=transport), retry=policy, sleep=[].append
    )
    with pytest.raises(RetriesExhaustedError, match=gives_up):
        client.request("GET", "http://channel.test/orders")


def test_refused_credentials_fail_at_once_in_one_line_naming_the_variable() -> None:
    transport, seen = _scripted(httpx.Response(401, json={"errors": "Invalid API key"}))
    sleeps: list[float] = []
    with pytest.raises(AuthenticationError) as caught:
        _client(transport, sleeps).request("GET", "/orders.json")
    assert len(seen) == 1 and sleeps == []
    refused = caught.value
    assert str(refused) == (
        "shopify: the access token was refused (401): set ICHIGEN_SHOPIFY_ACCESS_TOKEN"
    )
    assert refused.status == 401 and refused.endpoint == "GET /orders.json"
    assert refused.detail is not None and "Invalid API key" in refused.detail


def test_a_url_without_an_http_scheme_fails_at_once_naming_the_url_variable() -> None:
    sleeps: list[float] = []
    client = ResilientClient(
        "rakuten", httpx.Client(), retry=RetryPolicy(max_attempts=5), sleep=sleeps.append
    )
    with pytest.raises(ConfigurationError, match="set ICHIGEN_RAKUTEN_URL"):
        client.request("GET", "htps://api.rms.example/es/2.0/order/searchOrder/")
    assert sleeps == []


def _port_nobody_listens_on() -> int:
    """A loopback port that was free a moment ago and has no listener now."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
    return port


def test_a_refused_connection_fails_at_once_naming_the_address_and_its_variable() -> None:
    port = _port_nobody_listens_on()
    sleeps: list[float] = []
    client = ResilientClient(
        "shopify",
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5.0),
        retry=RetryPolicy(max_attempts=8),
        sleep=sleeps.append,
    )
    with pytest.raises(ChannelUnreachableError) as caught:
        client.request("GET", "/admin/api/2025-01/orders.json", params={"limit": 250})
    assert sleeps == [] and client.retries == 0  # one try: a refusal is not waited out
    down = caught.value
    assert str(down) == (
        f"shopify: http://127.0.0.1:{port} refused the connection (nothing is listening "
        "there): check that the channel is up and that ICHIGEN_SHOPIFY_URL is its address"
    )
    assert down.endpoint == "GET /admin/api/2025-01/orders.json"
    assert down.detail is not None and "refused" in down.detail.lower()


def test_a_refused_token_exchange_names_the_variable_of_its_own_address() -> None:
    port = _port_nobody_listens_on()
    client = ResilientClient(
        "amazon", httpx.Client(timeout=5.0), address_variable="ICHIGEN_AMAZON_LWA_URL"
    )
    with pytest.raises(ChannelUnreachableError, match="ICHIGEN_AMAZON_LWA_URL is its address"):
        client.request("POST", f"http://127.0.0.1:{port}/auth/o2/token", data={"a": "b"})


def test_a_connection_cut_while_being_made_is_still_retried() -> None:
    # a reset or a handshake cut short may pass on the next try: only a refusal is final
    transport, seen = _scripted(
        httpx.ConnectError("[Errno 104] Connection reset by peer"), httpx.Response(200, json={})
    )
    sleeps: list[float] = []
    assert _client(transport, sleeps).request_json("GET", "/orders.json") == {}
    assert len(seen) == 2 and len(sleeps) == 1


def test_a_compressed_body_that_does_not_decompress_is_retried() -> None:
    # a proxy that mangles a gzip body: its check fails (httpx.DecodingError, not a
    # transport error); cut short with its length kept, the JSON check catches it instead
    whole = gzip.compress(b'{"orders": []}')
    mangled = whole[:12] + b"\xff" * 8 + whole[20:]
    transport, seen = _scripted(
        httpx.Response(200, stream=httpx.ByteStream(mangled), headers={"Content-Encoding": "gzip"}),
        httpx.Response(200, content=whole, headers={"Content-Encoding": "gzip"}),
    )
    client = _client(transport, [])
    assert client.request("GET", "/orders.json").json() == {"orders": []}
    assert len(seen) == 2 and client.retries == 1


def _serve_cut_then_whole(body: bytes, answered: list[int]) -> tuple[socket.socket, str]:
    """A real HTTP server on 127.0.0.1: the first answer promises `body` and hangs up half-way
    (what a dropped proxy does), the second is whole."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for cut in (True, False):
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                # noted before sending: the client may finish reading before this thread runs on
                answered.append(len(body) // 2 if cut else len(body))
                connection.sendall(head + (body[: len(body) // 2] if cut else body))
                connection.shutdown(socket.SHUT_WR)

    threading.Thread(target=serve, daemon=True).start()
    host, port = server.getsockname()
    return server, f"http://{host}:{port}"


def test_a_body_cut_short_on_a_real_socket_is_retried_until_it_arrives_whole() -> None:
    body = b'{"orders": [' + b'{"id": 1},' * 200 + b'{"id": 2}]}'
    answered: list[int] = []
    server, url = _serve_cut_then_whole(body, answered)
    sleeps: list[float] = []
    with server:
        client = ResilientClient(
            "shopify",
            httpx.Client(timeout=10.0),
            retry=RetryPolicy(max_attempts=3, base_delay_s=0.01),
            sleep=sleeps.append,
        )
        assert len(client.request_json("GET", f"{url}/orders.json")["orders"]) == 201
    assert answered == [len(body) // 2, len(body)]
    assert client.retries == 1 and len(sleeps) == 1


def test_other_client_errors_fail_at_once_with_the_channels_reason() -> None:
    transport, _ = _scripted(httpx.Response(400, json={"errors": {"limit": "must be <= 250"}}))
    with pytest.raises(ChannelError, match="must be <= 250"):
        _client(transport, []).request("GET", "/orders.json")


def test_a_body_that_is_not_json_is_fetched_again() -> None:
    transport, seen = _scripted(
        httpx.Response(200, content=b'{"orders": ['), httpx.Response(200, json={"orders": []})
    )
    assert _client(transport, []).request_json("GET", "/orders.json") == {"orders": []}
    assert len(seen) == 2


def test_the_response_hook_sees_every_answer() -> None:
    transport, _ = _scripted(httpx.Response(500), httpx.Response(200, json={}))
    statuses: list[int] = []
    _client(transport, [], on_response=lambda r: statuses.append(r.status_code)).request("GET", "/")
    assert statuses == [500, 200]


def test_the_rate_limiter_spaces_requests_beyond_its_burst() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(rate_per_s=2.0, burst=2, sleep=sleep, clock=lambda: now[0])
    for _ in range(4):
        limiter.acquire()
    assert now[0] == pytest.approx(1.0)  # two free, then one every half second
    limiter.set_rate(10.0)
    limiter.acquire()
    assert waits[-1] == pytest.approx(0.1)

"""The simulator server itself: routing, errors and the transport faults it injects."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.http import (
    Request,
    Response,
    SimulatorApp,
    SimulatorServer,
    json_response,
)


class EchoApp(SimulatorApp):
    name = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/items/(?P<item>\w+)", self._item)
        self.route("POST", r"/echo", self._echo)

    def _item(self, request: Request, match: re.Match[str]) -> Response:
        return json_response({"item": match["item"], "q": request.arg("q"), "pad": "x" * 4000})

    def _echo(self, request: Request, match: re.Match[str]) -> Response:
        return json_response({"got": request.json()})


@pytest.fixture
def echo_server() -> Iterator[SimulatorServer]:
    server = SimulatorServer(EchoApp()).start()
    try:
        yield server
    finally:
        server.stop()


def test_routes_answer_with_json_over_a_real_socket(echo_server: SimulatorServer) -> None:
    assert echo_server.base_url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=echo_server.base_url, timeout=5) as client:
        answer = client.get("/items/abc", params={"q": "1"})
        assert answer.status_code == 200
        assert answer.json()["item"] == "abc" and answer.json()["q"] == "1"
        assert client.post("/echo", json={"a": 1}).json() == {"got": {"a": 1}}


def test_unknown_paths_wrong_methods_and_bad_json_get_clear_errors(
    echo_server: SimulatorServer,
) -> None:
    with httpx.Client(base_url=echo_server.base_url, timeout=5) as client:
        assert client.get("/nowhere").status_code == 404
        assert client.delete("/echo").status_code == 405
        bad = client.post(
            "/echo", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert bad.status_code == 400
        assert "not valid JSON" in bad.json()["errors"]


def test_a_rate_limit_burst_answers_several_429s_in_a_row(echo_server: SimulatorServer) -> None:
    echo_server.faults.plan = FaultPlan(rate_limit=1.0, burst_length=3)
    with httpx.Client(base_url=echo_server.base_url, timeout=5) as client:
        statuses = [client.get("/items/a").status_code for _ in range(3)]
    assert statuses == [429, 429, 429]


def test_server_errors_are_5xx(echo_server: SimulatorServer) -> None:
    echo_server.faults.plan = FaultPlan(server_error=1.0)
    with httpx.Client(base_url=echo_server.base_url, timeout=5) as client:
        assert client.get("/items/a").status_code in (500, 502, 503)


def test_a_reset_connection_raises_a_transport_error(echo_server: SimulatorServer) -> None:
    echo_server.faults.plan = FaultPlan(reset=1.0)
    with (
        httpx.Client(base_url=echo_server.base_url, timeout=5) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.get("/items/a")


def test_a_truncated_body_is_detected_by_the_client(echo_server: SimulatorServer) -> None:
    echo_server.faults.plan = FaultPlan(truncate=1.0)
    with (
        httpx.Client(base_url=echo_server.base_url, timeout=5) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get("/items/a")


def test_faults_can_be_switched_at_run_time_through_the_control_endpoint(
    echo_server: SimulatorServer,
) -> None:
    with httpx.Client(base_url=echo_server.base_url, timeout=5) as client:
        assert client.get("/_sandbox/faults").json()["server_error"] == 0.0
        client.put("/_sandbox/faults", json={"server_error": 1.0})
        assert client.get("/items/a").status_code >= 500
        client.put("/_sandbox/faults", json={})
        assert client.get("/items/a").status_code == 200
        assert client.put("/_sandbox/faults", json={"meteor": 1.0}).status_code == 400


def test_a_slow_answer_still_arrives_whole(echo_server: SimulatorServer) -> None:
    echo_server.faults.plan = FaultPlan(slow=1.0, slow_seconds=0.2)
    with httpx.Client(base_url=echo_server.base_url, timeout=5) as client:
        answer = client.get("/items/a")
    assert answer.status_code == 200 and len(answer.json()["pad"]) == 4000

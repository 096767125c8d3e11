"""A small threaded HTTP server that every channel simulator is built on.

The standard library's server is used on purpose: fault injection needs to misbehave at the
socket level (reset a connection, send half a body), which a full web framework hides.
A simulator is a `SimulatorApp`: a list of routes plus a hook that runs before each of them
(authentication, rate limits). `SimulatorServer` serves one app on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ichigen.sandbox.simulators.faults import FaultInjector, FaultPlan

__all__ = [
    "HttpError",
    "Request",
    "Response",
    "Route",
    "SimulatorApp",
    "SimulatorServer",
    "json_response",
]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """All values of a query parameter, whether repeated or comma-separated."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]

    def json(self) -> Any:
        if not self.body:
            raise HttpError(400, "request body is empty, expected JSON")
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise HttpError(400, f"request body is not valid JSON: {exc}") from exc


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        status=status,
        body=orjson.dumps(payload),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


class HttpError(Exception):
    """Raised by a handler to answer with an error; `response` overrides the default body."""

    def __init__(self, status: int, message: str, *, response: Response | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.response = response


Handler = Callable[[Request, "re.Match[str]"], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class SimulatorApp:
    """Routes plus channel-specific hooks. Subclasses register routes in `__init__`."""

    name = "simulator"

    def __init__(self) -> None:
        self.routes: list[Route] = []
        # Replaced by the server's injector when served, so data faults follow the run's plan.
        self.faults = FaultInjector(FaultPlan())

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append(Route(method, re.compile(f"^{pattern}$"), handler))

    def before(self, request: Request) -> Response | None:
        """Authentication and rate limits; return a response to answer without routing."""
        return None

    def error_body(self, status: int, message: str) -> Response:
        """The channel's own error shape; subclasses override."""
        return json_response({"errors": message}, status=status)

    def too_many_requests(self) -> Response:
        """The channel's 429, as the real API sends it (with or without Retry-After)."""
        return self.error_body(429, "Too many requests")

    def dispatch(self, request: Request) -> Response:
        allowed: list[str] = []
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            early = self.before(request)
            if early is not None:
                return early
            try:
                return route.handler(request, match)
            except HttpError as exc:
                return exc.response or self.error_body(exc.status, exc.message)
        if allowed:
            return self.error_body(405, f"method {request.method} not allowed here")
        return self.error_body(404, f"no such endpoint: {request.path}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs and httpx's pool expect
    # The stdlib writes headers and body in separate segments; with Nagle's algorithm on, each
    # keep-alive answer waits ~40 ms for the client's delayed ACK, capping a client at ~25/s.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # the simulators are quiet; tests and benchmarks read their counters instead

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.server.sim.count_request()
        if request.path.startswith("/_sandbox/"):
            self._send(self.server.sim.control(request))
            return
        fault = self.server.sim.faults.draw()
        if fault.delay_s:
            time.sleep(fault.delay_s)
        if fault.kind == "reset":
            self._reset()
            return
        if fault.kind == "rate_limit":
            self._send(self.server.sim.app.too_many_requests())
            return
        if fault.kind == "server_error":
            self._send(self.server.sim.app.error_body(fault.status, "simulated server error"))
            return
        response = self.server.sim.app.dispatch(request)
        if fault.kind == "truncate" and len(response.body) > 1:
            self._send(response, truncate=True)
            return
        self._send(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - stdlib names

    def _send(self, response: Response, *, truncate: bool = False) -> None:
        self.send_response(response.status, HTTPStatus(response.status).phrase)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if truncate:
            # Promise the whole body, deliver half, hang up: what a dropped proxy looks like.
            self.wfile.write(response.body[: len(response.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_WR)
            return
        self.wfile.write(response.body)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: SimulatorServer


ControlHook = Callable[[Request], Response | None]


class SimulatorServer:
    """Serves one `SimulatorApp` on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        app: SimulatorApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        control: ControlHook | None = None,
    ) -> None:
        self.app = app
        self.faults = FaultInjector(faults or FaultPlan())
        app.faults = self.faults  # one injector per simulator: transport and data faults
        self._control_hook = control
        self._httpd = _Server((host, port), _Handler)
        self._httpd.sim = self
        self._thread: threading.Thread | None = None
        self._requests = 0
        self._count_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests_served(self) -> int:
        return self._requests

    def count_request(self) -> None:
        with self._count_lock:
            self._requests += 1

    def control(self, request: Request) -> Response:
        """Sandbox-only endpoints under /_sandbox/: faults, health, and the world's clock."""
        if request.path == "/_sandbox/health":
            return json_response({"name": self.app.name, "requests": self._requests})
        if request.path == "/_sandbox/faults":
            if request.method == "PUT":
                try:
                    self.faults.plan = FaultPlan.from_dict(request.json())
                except (TypeError, ValueError) as exc:
                    return json_response({"error": str(exc)}, status=400)
            return json_response(self.faults.plan.to_dict())
        if self._control_hook is not None:
            answer = self._control_hook(request)
            if answer is not None:
                return answer
        return json_response({"error": f"unknown control endpoint {request.path}"}, status=404)

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns promptly
            name=f"sim-{self.app.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

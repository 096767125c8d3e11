"""The ingest benchmark's measured processes: our ingest (recording its requests) and the replay.

Run as ``python -m benchmarks.ingest_child ingest|replay ...`` by `benchmarks.ingest`, each in
a fresh interpreter so that its peak RSS is its own and the simulators (in the parent) do not
share its interpreter lock.

- ``ingest RECORD``: `oms ingest`'s code path (`run_ingest`, one channel at a time) against the
  channels configured in the environment; every request that reaches a channel is appended to
  RECORD as a JSON line (method, URL, headers, body, and for token exchanges the token the
  answer issued).
- ``replay RECORD``: the same requests, channel by channel, with the same kind of httpx client
  and the same JSON decoder (orjson), nothing else done: the ceiling. Tokens that expired in
  between are not reused: a recorded token exchange is replayed too, and the token it issues
  now stands in for the one it issued then.

Each prints one JSON object on its last line of stdout.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

import httpx
import orjson

from ichigen.benchmarks.report import peak_rss_mib

__all__ = ["API_CHANNELS", "main"]

API_CHANNELS: Final = ("shopify", "amazon", "rakuten", "supplier")
# Answers that issue the tokens later requests carry (LWA access tokens, Amazon's RDTs).
_ISSUING: Final = {"/auth/o2/token": "access_token", "restrictedDataToken": "restrictedDataToken"}
_TOKEN_HEADER: Final = "x-amz-access-token"
_SET_BY_CLIENT: Final = {"host", "content-length"}  # httpx writes these for the replayed body


def _channel_of(url: httpx.URL, ports: dict[int, str]) -> str:
    return ports.get(url.port or 0, "other")


def _issued_key(path: str) -> str | None:
    return next((key for suffix, key in _ISSUING.items() if path.endswith(suffix)), None)


class _Recorder:
    """Appends every request the transports send to a JSON-lines file (thread-safe)."""

    def __init__(self, out: IO[bytes], ports: dict[int, str]) -> None:
        self._out = out
        self._ports = ports
        self._lock = threading.Lock()

    def install(self) -> None:
        original = httpx.HTTPTransport.handle_request
        recorder = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> Any:
            response = original(transport, request)
            issued = None
            key = _issued_key(request.url.path)
            if key is not None and response.status_code == 200:
                body = orjson.loads(response.read())
                issued = body.get(key) if isinstance(body, dict) else None
            recorder.write(request, issued)
            return response

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign,assignment]

    def write(self, request: httpx.Request, issued: str | None) -> None:
        line = orjson.dumps(
            {
                "channel": _channel_of(request.url, self._ports),
                "method": request.method,
                "url": str(request.url),
                "headers": [
                    [k.decode("latin-1"), v.decode("latin-1")] for k, v in request.headers.raw
                ],
                "body": base64.b64encode(request.content).decode() if request.content else "",
                "issued": issued,
            }
        )
        with self._lock:
            self._out.write(line + b"\n")


def _ingest(record: Path, ports: dict[int, str]) -> dict[str, Any]:
    started = time.perf_counter()
    # Imported before the clock starts for the assets: a one-off per process (reported as
    # start-up), not a cost of the first asset's records.
    import great_expectations  # noqa: F401

    from ichigen.orchestration.cli_runs import cli_instance
    from ichigen.orchestration.definitions import INGEST_ASSETS
    from ichigen.orchestration.ingest_run import run_ingest
    from ichigen.settings import load_settings

    settings = load_settings()
    # Dagster imports its run and event storage when the process's first instance is made
    # (~0.35 s, measured with py-spy): start-up too, not the first channel's (the supplier's).
    with cli_instance():
        pass
    startup = time.perf_counter() - started
    # One channel at a time, in `oms ingest`'s order (the supplier first): each channel's
    # seconds are then its own, not shared with channels pulled beside it, as the replay's are.
    groups = dict.fromkeys(a.group_names_by_key[a.key] for a in INGEST_ASSETS)
    channels: dict[str, float] = {}
    assets: list[dict[str, Any]] = []
    with record.open("wb") as out:
        _Recorder(out, ports).install()
        for group in groups:
            started = time.perf_counter()
            outcomes = run_ingest(settings, channel=group)
            channels[group] = time.perf_counter() - started
            assets += [
                {
                    "asset": o.asset,
                    "channel": group,
                    "success": o.success,
                    "seconds": o.seconds,
                    "received": o.received,
                    "error": o.error,
                }
                for o in outcomes
            ]
    return {
        "startup_seconds": startup,
        "seconds": sum(channels.values()),
        "channel_seconds": channels,
        "peak_rss_mib": peak_rss_mib(),
        "assets": assets,
    }


def _recorded(record: Path) -> Iterator[dict[str, Any]]:
    with record.open("rb") as lines:
        for line in lines:
            yield orjson.loads(line)


def _replay(record: Path) -> dict[str, Any]:
    from ichigen.ingestion.http import DEFAULT_TIMEOUT

    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for request in _recorded(record):
        by_channel[request["channel"]].append(request)
    renewed: dict[str, str] = {}  # token issued while ingesting -> the one issued now
    results: dict[str, dict[str, float]] = {}
    for channel, requests in by_channel.items():
        with httpx.Client(timeout=DEFAULT_TIMEOUT) as client:
            received = 0
            started = time.perf_counter()
            for sent in requests:
                headers = [
                    (k, renewed.get(v, v) if k.lower() == _TOKEN_HEADER else v)
                    for k, v in sent["headers"]
                    if k.lower() not in _SET_BY_CLIENT
                ]
                response = client.request(
                    sent["method"],
                    sent["url"],
                    headers=headers,
                    content=base64.b64decode(sent["body"]) if sent["body"] else None,
                )
                body = orjson.loads(response.content) if response.content else None
                received += len(response.content)
                if sent["issued"] and isinstance(body, dict):
                    key = _issued_key(httpx.URL(sent["url"]).path)
                    renewed[sent["issued"]] = str(body.get(key or ""))
                if response.status_code >= 400:
                    raise RuntimeError(
                        f"replaying {sent['method']} {sent['url']} answered "
                        f"{response.status_code}: {response.text[:200]}"
                    )
            results[channel] = {
                "seconds": time.perf_counter() - started,
                "requests": len(requests),
                "bytes": received,
            }
    return {"channels": results, "peak_rss_mib": peak_rss_mib()}


def main(argv: list[str]) -> None:
    mode, record, ports_json = argv[0], Path(argv[1]), argv[2]
    ports = {int(port): name for port, name in json.loads(ports_json).items()}
    result = _ingest(record, ports) if mode == "ingest" else _replay(record)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

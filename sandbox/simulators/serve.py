"""Start every simulator on 127.0.0.1 around one shared `World`.

All simulators run in one process and share the world, so a stock push to one channel, a
purchase order to a supplier and the passing of time are seen by all of them. Each also answers
the sandbox-only control endpoints:

- ``GET /_sandbox/clock``: the world's clock;
- ``POST /_sandbox/advance`` with ``{"days": N}``: let the business trade N more days;
- ``GET|PUT /_sandbox/faults``: the fault plan of that simulator (see `faults.FaultPlan`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS, Credentials
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.http import (
    Request,
    Response,
    SimulatorApp,
    SimulatorServer,
    json_response,
)
from ichigen.sandbox.world import World

__all__ = ["SIMULATORS", "RunningSandbox", "start_sandbox"]

AppFactory = Callable[..., SimulatorApp]


def _factories(credentials: Credentials) -> dict[str, AppFactory]:
    """Each simulator's app, given the credentials it is to accept."""
    # Imported here so that importing this module stays cheap and cycle-free.
    from ichigen.sandbox.simulators.amazon import AmazonApp
    from ichigen.sandbox.simulators.rakuten import RakutenApp
    from ichigen.sandbox.simulators.shopify import ShopifyApp
    from ichigen.sandbox.simulators.supplier import SupplierApp

    return {
        "shopify": partial(ShopifyApp, credentials=credentials.shopify),
        "amazon": partial(AmazonApp, credentials=credentials.amazon),
        "rakuten": partial(RakutenApp, credentials=credentials.rakuten),
        "supplier": partial(SupplierApp, credentials=credentials.supplier),
    }


SIMULATORS: Final = ("shopify", "amazon", "rakuten", "supplier")
# A rate no client reaches: requests per second (and burst) when the sandbox is unthrottled.
_UNTHROTTLED_RATE = 1_000_000


def _unthrottled_options(name: str) -> dict[str, Any]:
    """Each simulator's own buckets, so large that only the server's speed limits a client."""
    from ichigen.sandbox.simulators.amazon import SANDBOX_RATES
    from ichigen.sandbox.simulators.rakuten import rate_limits
    from ichigen.sandbox.simulators.ratelimit import LeakyBucket

    rate = _UNTHROTTLED_RATE
    if name == "shopify":
        # Shopify's bucket drains in 20 s on every plan; the client paces at capacity / 20.
        return {"bucket": LeakyBucket(capacity=20 * rate, leak_per_s=rate)}
    if name == "amazon":
        return {"rates": {operation: (float(rate), rate) for operation in SANDBOX_RATES}}
    if name == "rakuten":
        return {"buckets": rate_limits(rate_per_s=rate, burst=rate)}
    return {}  # the supplier API limits nothing


@dataclass
class RunningSandbox:
    world: World
    servers: dict[str, SimulatorServer] = field(default_factory=dict)

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.base_url for name, server in self.servers.items()}

    @property
    def url_environment(self) -> dict[str, str]:
        """Each channel's ``ICHIGEN_<CHANNEL>_URL`` pointed at this sandbox's simulator."""
        return {f"ICHIGEN_{name.upper()}_URL": url for name, url in self.urls.items()}

    def environment(self, data_dir: Path, drops: Path) -> dict[str, str]:
        """The pipeline's settings for this sandbox: its URLs, its drop folders, `data_dir`."""
        env = {
            "ICHIGEN_DATA_DIR": str(data_dir),
            "ICHIGEN_POS_DROP_DIR": str(drops / "pos"),
            "ICHIGEN_POS_MEMBERS_DROP_DIR": str(drops / "pos_members"),
            "ICHIGEN_WHOLESALE_DROP_DIR": str(drops / "wholesale"),
            "ICHIGEN_STOCK_DROP_DIR": str(drops / "stock"),
        }
        return env | self.url_environment

    def set_faults(self, plan: FaultPlan) -> None:
        for server in self.servers.values():
            server.faults.plan = plan

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def _world_control(world: World, drops_dir: Path | None) -> Callable[[Request], Response | None]:
    def control(request: Request) -> Response | None:
        if request.path == "/_sandbox/clock":
            return json_response({"now": world.now.isoformat()})
        if request.path == "/_sandbox/advance" and request.method == "POST":
            days = int((request.json() or {}).get("days", 1))
            if not 1 <= days <= 366:
                return json_response({"error": "days must be between 1 and 366"}, status=400)
            result = world.advance(days=days)
            if drops_dir is not None:
                # The file channels keep dropping files as the business trades on.
                from ichigen.sandbox.drops import write_drops

                with world.lock:
                    write_drops(world.tables, drops_dir, start=result.start, end=result.end)
            payload = asdict(result)
            payload["start"] = result.start.isoformat()
            payload["end"] = result.end.isoformat()
            return json_response(payload)
        return None

    return control


def start_sandbox(
    world: World,
    *,
    credentials: Credentials = SANDBOX_CREDENTIALS,
    faults: FaultPlan | None = None,
    ports: dict[str, int] | None = None,
    only: tuple[str, ...] = SIMULATORS,
    drops_dir: Path | None = None,
    unthrottled: bool = False,
) -> RunningSandbox:
    """Start the simulators named in `only`; `ports` maps names to ports (0: any free port).

    Each simulator accepts its channel's `credentials`: the sandbox's own unless told others
    (`Credentials.of(settings)` for what a configuration will send).
    With `drops_dir`, advancing the clock also writes the POS, wholesale and stock files of the
    days traded, as the stores and buyers would. `unthrottled` lifts every rate limit (the
    benchmarks measure clients, not the channels' allowances).
    """
    factories = _factories(credentials)
    chosen = {name: (ports or {}).get(name, 0) for name in only}
    running = RunningSandbox(world=world)
    control = _world_control(world, drops_dir)
    try:
        for name, port in chosen.items():
            options = _unthrottled_options(name) if unthrottled else {}
            app = factories[name](world, **options)
            server = SimulatorServer(app, port=port, faults=faults, control=control)
            running.servers[name] = server.start()
    except BaseException:
        running.stop()
        raise
    return running

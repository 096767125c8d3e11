"""`oms demo`: run the whole system on the sandbox.

Today that is the simulated business and its channel simulators; the ingestion, warehouse and
app issues add their steps here, so that `make run` always shows everything that exists.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import httpx

from ichigen.settings import Settings

__all__ = ["run_demo", "wait_for_interrupt"]

Echo = Callable[[str], None]


def run_demo(settings: Settings, *, scale: str, keep_running: bool, echo: Echo) -> None:
    """Generate the sandbox if needed, serve it, check every simulator answers, then wait."""
    from sandbox.build import build_sandbox, ensure_sandbox
    from sandbox.simulators.serve import start_sandbox

    if not (settings.sandbox_dir / "world" / "manifest.json").exists():
        echo(f"generating the {scale} sandbox under {settings.sandbox_dir} ...")
        echo(build_sandbox(settings.sandbox_dir, scale=scale).describe())
    world = ensure_sandbox(settings.sandbox_dir)
    running = start_sandbox(
        world, settings, ports=settings.sandbox_ports(), drops_dir=settings.sandbox_dir / "drops"
    )
    try:
        for name, url in running.urls.items():
            health = httpx.get(f"{url}/_sandbox/health", timeout=5.0)
            health.raise_for_status()
            echo(f"{name} {url}")
        echo(
            f"sandbox clock: {world.now.isoformat()}; files dropped under "
            f"{settings.sandbox_dir / 'drops'}"
        )
        if keep_running:
            echo("simulators are serving; press Ctrl-C to stop")
            wait_for_interrupt()
    finally:
        running.stop()


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM (what `make run` and process managers send)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
